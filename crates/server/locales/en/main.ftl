# Passaparola, English. Every user-facing string of the web pages lives here and in ../it.
site-name = Passaparola
site-tagline = Certified reviews, every one published
skip-to-content = Skip to content
nav-home = Home
lang-label = Language
footer-log = Every review and every reply is recorded in a public, signed log: anyone can check that nothing was hidden, altered or back-dated.
footer-checkpoint = Log status
footer-api = API

home-title = Passaparola: certified reviews
home-description = Real reviews from real customers, every one published, the negative ones too, with the businesses' replies.
home-heading = Find a business
home-intro = Read what customers, suppliers and partners say. Every review that comes from an invitation is verified, and none can be hidden.
search-label = Business name
search-button = Search
search-results = { $count ->
    [one] One business found
   *[other] { $count } businesses found
}
search-none = No business found for “{ $query }”.
businesses-heading = Businesses

business-title = { $name }: reviews
business-description = { $count ->
    [one] One review of { $name }
   *[other] { $count } reviews of { $name }
}, every one published, with the business's replies.
score-label = Average rating
score-out-of = { $average } out of 5
reviews-count = { $count ->
    [0] No reviews
    [one] One review
   *[other] { $count } reviews
}
distribution-label = Star distribution
stars = { $count ->
    [one] 1 star
   *[other] { $count } stars
}
rated = Rated { $count ->
    [one] 1 star
   *[other] { $count } stars
} out of 5
reply-rate = Replies
reply-rate-value = { $percent }% of reviews
median-reply = Median time to first reply
nps-label = Net Promoter Score
not-yet = no data yet
filters-heading = Filter the reviews
filter-stars = Stars
filter-all = All
filter-relationship = Relationship
sort-label = Sort
sort-newest = Newest
sort-oldest = Oldest
sort-highest = Highest rated
sort-lowest = Lowest rated
apply = Apply
next-page = More reviews
first-page = Back to the first
no-reviews = No review matches.
website = Website

relationship-customer = Customer
relationship-supplier = Supplier
relationship-employee = Employee
relationship-partner = Partner
relationship-investor = Investor
relationship-other = Other

verified = Verified
verified-hint = Written by someone the business invited after a real purchase or dealing.
not-verified = Not verified
experienced-on = Experience of { $date }
written-on = Written on { $date }
edited = { $count ->
    [one] edited once
   *[other] edited { $count } times
}
reply-from = Reply from { $name }
reply-from-role = Reply from { $name }, { $role }
follow-up = The author's answer
withdrawn = Review withdrawn by its author on { $date }.
erased = The content of this review was erased on { $date }, on request. The public log keeps the trace that it existed.
permalink = Permanent link

review-title = Review by { $author } of { $name }
review-title-gone = Review of { $name }
review-description = { $title }: a review of { $name } on Passaparola.
back-to = All reviews of { $name }
history-heading = The review's history
event-review_published = Published
event-review_edited = Edited
event-review_withdrawn = Withdrawn
event-reply_published = The business replied
event-reply_edited = Reply edited
event-follow_up_published = The author answered
event-content_erased = Content erased
log-heading = In the public log
log-index = Log entry no. { $index }
receipt-download = Download the receipt (.tlog-proof)
verify-how = The receipt holds the entry, its inclusion proof and the signed checkpoint. Anyone can verify it without trusting us, for example with “passaparola verify receipt FILE --key KEY”, using the log's public key.

duration-minutes = { $count ->
    [one] 1 minute
   *[other] { $count } minutes
}
duration-hours = { $count ->
    [one] 1 hour
   *[other] { $count } hours
}
duration-days = { $count ->
    [one] 1 day
   *[other] { $count } days
}

month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
date = { $day } { $month } { $year }

not-found-title = Page not found
not-found-body = There is nothing at this address. The link may be wrong or incomplete.
bad-request-title = Invalid request
bad-request-body = One of the page's parameters is invalid: { $detail }
error-title = Something went wrong
error-body = It is not your fault: please try again shortly.
