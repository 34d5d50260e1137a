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
imported = Imported, not verified
imported-hint = Collected elsewhere and imported by the business: Passaparola cannot vouch for it, and it counts in no figure.
imported-from = Originally on { $source }, { $date }
imported-on = Imported on { $date }
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
history-more = The rest of the history (JSON)
event-review_published = Published
event-review_edited = Edited
event-review_withdrawn = Withdrawn
event-reply_published = The business replied
event-reply_edited = Reply edited
event-follow_up_published = The author answered
event-content_erased = Content erased
event-review_imported = Imported from elsewhere
event-invitation_template_changed = Invitation template changed
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

form-title = Review { $name }
form-intro = Tell us about your experience with { $name }. Your review is published at once, marked “Verified”, even if it is negative: every honest opinion counts.
form-as = You were invited as: { $relationship }
field-rating = Your rating
field-title = Title
field-body = Your review
field-nps = How likely are you to recommend { $name } to a friend or colleague? From 0 (not at all) to 10 (extremely).
field-nps-none = I'd rather not say
field-products = The products of your order
field-products-hint = Rate any of them if you like: each rating shows on the product's page.
field-product-none = Not rated
field-product-body = A few words on { $name } (optional)
field-experience-date = Date of the experience (optional)
field-author = Name to show
field-author-hint = For example your first name and the initial of your surname.
submit-review = Publish the review
form-errors = Please check the fields marked below: nothing you wrote has been lost.
error-required = Required.
error-too_long = Too long.
error-too_short = Too short.
error-out_of_range = Out of the allowed range.
error-in_future = The date cannot be in the future.
error-invalid_date = Not a valid date.
error-invalid_character = Contains a character that is not allowed.
error-other = Not a valid value.
link-unknown-title = Invalid link
link-unknown-body = This invitation link does not exist. Please check that you copied all of it.
link-used-title = Review already written
link-used-body = A review has already been written with this invitation. Thank you!
link-expired-title = Invitation expired
link-expired-body = This invitation has expired. If you would still like to write a review, ask the business for a new invitation.
link-forged-title = Link not valid
link-forged-body = This link was not signed by the business, or it was changed on its way here. Please use the link exactly as the business sent it, or ask it for a new one.
link-incomplete-title = Incomplete link
link-incomplete-body = This link is missing some of its parts. Please check that you copied all of it.
forbidden-title = Request refused
forbidden-body = The form was sent from another site. Please try again from the review page.
thanks-title = Thank you!
thanks-body = Your review of { $name } is published.
thanks-view = See the published review
thanks-receipt = Download the receipt
thanks-receipt-hint = The receipt proves that your review was accepted exactly as you wrote it: keep it.

edit-title = Your review of { $name }
edit-intro = Here you can edit your review, answer the business's reply once, or withdraw it. Anyone with this link can do so: do not share it.
edit-heading = Edit
edit-save = Save the changes
follow-up-heading = Answer the business
follow-up-label = Your answer (once only)
follow-up-submit = Publish the answer
withdraw-heading = Withdraw the review
withdraw-explain = The review will no longer be shown or counted. A trace that it existed and was withdrawn stays, in the public log too.
withdraw-confirm = I understand, withdraw it
withdraw-submit = Withdraw the review
notice-edit = Your review is updated.
notice-follow_up = Your answer is published.
notice-withdraw = Your review has been withdrawn.
edit-link = Your link to edit the review
edit-link-hint = Keep it: you need it to edit or withdraw your review, and we cannot show it to you again. Anyone with the link can use it: do not share it.
edit-unknown-title = Invalid link
edit-unknown-body = This edit link matches no review. Please check that you copied all of it.
notice-unchanged = Nothing changed: the review stays as it was.
conflict-title = The review has changed
conflict-body = Meanwhile the review was changed, withdrawn or already answered. Please reload the page.
rate-limited-title = Too many at once
rate-limited-body = You have done this many times in a short while. Please try again in { $seconds } seconds.

login-title = Log in for businesses
login-intro = Log in to answer your business's reviews.
login-email = E-mail
login-password = Password
login-submit = Log in
login-failed = Wrong e-mail or password.
login-limited = Too many failed attempts: please try again in 15 minutes.
login-busy = Too many log-ins at this moment: please try again in a few seconds.
logout = Log out
signed-in-as = You are logged in as { $name } ({ $business }).
inbox-title = Reviews to answer
inbox-intro = The lowest ratings first, then the oldest: a quick, polite reply from someone who can act is worth more than silence.
inbox-count = { $count ->
    [0] No review is waiting for a reply.
    [one] One review is waiting for a reply.
   *[other] { $count } reviews are waiting for a reply.
}
reply-label = Your public reply
reply-signed = It will be signed: { $signature }
reply-submit = Publish the reply
notice-reply = The reply is published.

nav-inbox = To answer
nav-invitations = Invitations
invitations-title = Invitations
invitations-intro = Invite the people who really dealt with you: customers, suppliers, partners. Everyone gets the same neutral invitation, whatever you expect them to say.
invitation-reference = Reference (an order number, for example)
invitation-name = Name (optional, only you see it)
invitation-email = E-mail (optional, only you see it)
invitation-locale = Language of the invitation
invitation-create = Create the invitation
invitation-created = The invitation is ready: send this link to { $reference }.
invitation-existing = This reference was already invited: here is the same invitation.
invitations-latest = Latest invitations
invitation-status-open = Open until { $date }
invitations-no-mail = This instance sends no e-mail (its operator has not configured an SMTP server): send each invitation's link yourself.
invitation-mail-none = E-mail: none
invitation-mail-scheduled = E-mail: on its way { $date }
invitation-mail-sent = E-mail: sent
invitation-mail-reminded = E-mail: sent, and reminded once
invitation-mail-failed = E-mail: failed
invitation-mail-undeliverable = E-mail: the address refuses mail
invitation-mail-unsubscribed = E-mail: the address asked for no more mail from you
invitation-status-used = Review written on { $date }
invitation-status-expired = Expired on { $date }
invitation-link = Link
invitations-none = No invitation yet.
locale-it = Italian
locale-en = English

nav-keys = API keys
keys-title = API keys
keys-intro = API keys let your online shop or your back office create invitations. Each key is shown once, when you create it; revoke it as soon as it is no longer needed.
key-create = Create a new key
key-created = Your new key, shown only now: copy it into your system.
key-revoke = Revoke
key-active = Active since { $date }
key-revoked = Revoked on { $date }
key-revoked-notice = The key is revoked: it no longer works.
keys-none = No key.

nav-users = People
users-title = People
users-intro = The people who log in for your business. When someone leaves, disable them: they can no longer log in, and their sessions end at once.
user-you = you
user-active = Active since { $date }
user-disabled = Disabled on { $date }
user-sign-out = Sign out everywhere
user-reset-password = Reset the password
user-disable = Disable
user-enable = Enable again
user-disabled-notice = Disabled: they can no longer log in, and their sessions have ended.
user-enabled-notice = Enabled again: they can log in with their password.
user-signed-out-notice = Signed out everywhere: their sessions have ended.
user-password-notice = Their new password, shown only now: give it to them safely. Their sessions have ended.
user-self-title = Not on yourself
user-self-body = You cannot disable yourself or reset your own password here: ask a colleague, or the operator of this instance.

answered-heading = Answered recently
reply-edit-link = Edit the reply
reply-page-title = Reply to { $author }
reply-page-intro = A reply is public and signed with your name. It can be edited: the review's page then shows that it was, and the log keeps every version.
reply-history-heading = Versions of the reply
reply-edit-submit = Publish the edited reply
notice-reply-edited = The reply is published.
inbox-back = Back to the reviews to answer
inbox-live-new = A new review has arrived.
inbox-replied-elsewhere = This review has just been answered, perhaps by a colleague.

review-landing-title = Write a review
review-landing-body = On Passaparola only the customers a business has invited write reviews, so that every one is real, and every one is published. Open the link in your invitation to write yours.
review-landing-find = Read the reviews of a business
item-review-heading = The review
error-already_answered = A colleague answered this review meanwhile: their reply is above, and yours is kept below, not published. Edit and publish it if it should replace theirs.
inbox-gone = This review has just been withdrawn by its author: it can no longer be answered.

## Figures for a period, trends, products
figures-heading = Figures for a period
period-label = Period
period-7 = Last 7 days
period-30 = Last 30 days
period-90 = Last 90 days
period-365 = Last year
period-all = All time
verified-label = Reviews
verified-all = All
verified-only = Verified only
grain-label = Trend
grain-month = By month
grain-week = By week
percent = { $value }%
score-label-bayes = Score (95% interval)
score-value = { $value } ({ $low }–{ $high })
figure-reviews = Published reviews
nps-value = { $nps } (from { $count ->
    [one] one answer
   *[other] { $count } answers
})
reply-rate-low = Replies to 1–2 star reviews
median-reply-low = Median time to first reply, 1–2 stars
invitations-sent = Invitations sent
reviews-per-invitation = Reviews per invitation
non-response = Invitations not answered
week-of = Week of { $date }
chart-week = Week
chart-month = Month
chart-table = The chart's data
chart-rating-week = Average rating by week
chart-rating-month = Average rating by month
chart-rating-value = Average rating
chart-volume-week = Reviews by week
chart-volume-month = Reviews by month
chart-volume-value = Reviews
chart-reply-week = Median reply time by week
chart-reply-month = Median reply time by month
chart-reply-value = Median time to first reply
products-heading = Products reviewed
product-summary = { $average } out of 5, { $count ->
    [one] one rating
   *[other] { $count } ratings
}
product-no-ratings = No ratings yet
product-title = { $product } — customer reviews of { $name }
product-description = { $count ->
    [0] Customers' ratings of { $product }, all published.
    [one] One customer rating of { $product }, published unfiltered.
   *[other] { $count } customer ratings of { $product }, all published.
}
product-byline = { $author }, { $date }
product-rating-label = Product rating
product-ratings-heading = Latest ratings
product-read-review = Read the review
ratings-count = { $count ->
    [0] No ratings yet
    [one] One rating
   *[other] { $count } ratings
}

## The widget, the badge and the feed
widget-title = Customer reviews
widget-score = { $score } / 5
widget-score-label = Score { $score } out of 5
widget-read-all = Read all reviews
widget-verified = Verified reviews, published unfiltered, on Passaparola
widget-empty = No reviews yet
badge-label = Passaparola
badge-value = { $score } ★ · { $count ->
    [one] 1 review
   *[other] { $count } reviews
}
feed-title = Reviews of { $name }

## Unsubscribe (/u/{token})
unsubscribe-title = Stop invitations by e-mail
unsubscribe-body = { $business } will send no more invitations or reminders to this address through Passaparola. Reviews already written stay as they are.
unsubscribe-button = Stop all e-mail from this business
unsubscribe-done-title = You will receive no more e-mail
unsubscribe-done-body = { $business } will send nothing more to this address through Passaparola, whoever asks: the address is kept only as a one-way code, so that it is recognised.

## Public invitations page
invitations-page-link = How invitations are sent
invitations-page-title = How { $name } invites reviews
invitations-page-description = The invitation every customer of { $name } receives, word for word, the figures of its invitations and the settings in force: nobody is filtered out.
invitations-page-heading = How { $name } invites people to write a review
invitations-page-intro = Every person invited receives the same message, word for word, whatever they are expected to say. Here it is, in Italian and in English, followed by the figures of the invitations and the settings in force.
invitations-page-message-heading = The invitation message
invitations-page-placeholders = In square brackets is what differs from one invitation to the next: the order reference, the products, the personal links. Here the greeting names nobody; when an invitation carries a name, the e-mail greets the person by it.
invitations-page-in-it = In Italian
invitations-page-in-en = In English
invitations-page-subject = Subject:
invitations-page-reminder-heading = The one reminder, if there is one
invitations-page-fingerprint = Template fingerprint (SHA-256)
invitations-page-template-default = The subject and opening are Passaparola's default words: { $name } has not changed them.
invitations-page-template-revision = The subject and opening are { $name }'s own words, revision { $revision } of { $date }; every change is listed below and logged.
invitations-page-history-heading = Every change to the invitation
invitations-page-history-intro = Each change is an entry of the public log. With its salt and content, anyone can recompute the entry's commitment and check it against the log (docs/log-format.md).
invitations-page-history-empty = No change yet: every invitation uses Passaparola's default words.
invitations-page-history-row = { $language }: revision { $revision } of { $date }
invitations-page-history-entry = Log entry
invitations-page-history-pending = being logged
invitations-page-history-salt = Salt
invitations-page-history-content = Content
invitations-page-history-older = Older changes
invitations-page-history-no-older = No older change.
invitations-page-fingerprint-hint = The text above is put together by the same code that sends the e-mails. The fingerprint is computed over each language's template: it changes if a single word of it does.
invitations-page-figures-heading = Invitations so far
invitations-page-figures-intro = All time, numbers only: nothing about any one person. A connected shop's invitations come from its orders; those by hand are created by the business itself (API, pages, CSV files, signed links).
invitations-page-by-shop = Created by a connected shop
invitations-page-by-hand = Created by hand
invitations-page-sent = E-mails sent
invitations-page-reminded = Reminders sent
invitations-page-unsubscribed = Addresses that want no more e-mail
invitations-page-undeliverable = Addresses that refuse mail
invitations-page-answered = Invitations answered with a review
invitations-page-settings-heading = Settings in force
invitations-page-shop-delay = After an order from a shop
invitations-page-shop-delay-value = The invitation goes { $after } after the order is fulfilled
invitations-page-shop-delay-none = The invitation goes as soon as the order is fulfilled
invitations-page-reminder = Reminder
invitations-page-reminder-one = Just one, { $after } after the invitation, if no review has been written by then
invitations-page-reminder-none = None
invitations-page-neutral = No setting anywhere depends on what a customer is expected to say: { $name } chooses only when invitations go (the delay after a shop's order, one reminder or none), never to whom according to their expected opinion.
invitations-page-placeholder-reference = [order reference]
invitations-page-placeholder-product = [product]
invitations-page-placeholder-review-link = [personal review link]
invitations-page-placeholder-unsubscribe-link = [unsubscribe link]

## Invitation settings
settings-nav = Settings
settings-mail-heading = E-mail settings
settings-mail-intro = When invitations are e-mailed. A change applies to the invitations created from then on.
settings-mail-public = These settings are public, on your business's page about its invitations:
settings-delay = Delay after a shop's order (hours)
settings-delay-hint = From 0 (at once) to 720 (30 days), counted from when a connected shop reports the order fulfilled (Shopify) or completed (WooCommerce).
settings-reminder = Reminder
settings-reminder-hint = At most one, sent only if no review has been written yet and the invitation is still open.
settings-reminder-none = No reminder
settings-reminder-after = { $count ->
    [one] 1 day after the invitation
   *[other] { $count } days after the invitation
}
settings-mail-save = Save the e-mail settings
settings-mail-saved = The e-mail settings are saved: they apply to the invitations created from now on.
settings-shops-heading = Shops
settings-shops-intro = A connected shop tells Passaparola about its orders: each fulfilled (Shopify) or completed (WooCommerce) order becomes one invitation, e-mailed after the delay above. Nothing a shop sends ever creates a review.
settings-shops-none = No shop connected.
settings-shop-kind = Platform
settings-shop-address = Webhook address
settings-shop-since = Connected since { $date }
settings-shop-connect-heading = Connect a shop
settings-shop-how-shopify = Shopify: Settings → Notifications → Webhooks → Create webhook. Event “Order fulfillment” (topic orders/fulfilled), format JSON, and this address. Shopify signs with the key it shows under its list of webhooks: paste it into the secret field below.
settings-shop-how-woocommerce = WooCommerce: WooCommerce → Settings → Advanced → Webhooks → Add webhook. Topic “Order updated”, API version “WP REST API Integration v3”, this address, and the secret Passaparola shows once the shop is connected (leave the secret field below empty).
settings-shop-secret = Secret (optional)
settings-shop-secret-hint = For Shopify, the signing key Shopify shows (at least 16 characters). Left empty, a new secret is made and shown once, to paste into the shop.
settings-shop-replace = Connecting a platform already connected replaces its secret: deliveries signed with the old one are refused from then on.
settings-shop-connect = Connect the shop
settings-shop-errors = Please check the fields marked below. The secret you typed is not kept: paste it again.
settings-shop-connected = { $platform } is connected, with the secret you gave.
settings-shop-connected-new = { $platform } is connected.
settings-shop-secret-once = The secret to paste into the shop's webhook, shown only now: copy it before leaving this page.
settings-link-heading = Signed links
settings-link-intro = Your shop can build invitation links on its own, signed with a secret it shares with Passaparola, with no API call. The invitation is created when the customer first opens the link.
settings-link-secret-none = There is no link secret yet: links signed by your shop are refused.
settings-link-secret-exists = A link secret is in force. It is never shown again: if it was lost, make a new one.
settings-link-docs = How to build and sign the links: docs/invitation-links.md, in Passaparola's documentation.
settings-link-warning = A new secret replaces the current one at once: the links signed with the current one stop working.
settings-link-make = Make the link secret
settings-link-rotate = Make a new link secret
settings-link-secret-made = Your new link secret, shown only now: copy it into your shop. Links signed with the previous one no longer work.
template-title = Your invitation's words
template-intro = Choose the subject and the opening of your invitation e-mail, in each language. Every customer receives the same words; the rest of the message (the link, that every review is published whatever it says, that writing one is optional, how to unsubscribe) is the same for every business.
template-placeholders = Write {"{"}business{"}"} for your business's name and {"{"}reference{"}"} for the order's reference; no other braces.
template-public-page = Every change is public, with its history and its log entry, on your invitations page.
template-subject = Subject
template-opening = Opening, after the greeting
template-save = Save and publish
template-saved = Saved: the change is logged and shown on your public invitations page, and every invitation mailed from now on uses it.
template-unchanged = Nothing changed: these are already the words in force.
template-state-default = Passaparola's default words are in force.
template-state-revision = Your revision { $revision } of { $date } is in force.
error-unknown_placeholder = Braces may only hold {"{"}business{"}"} or {"{"}reference{"}"}.
nav-template = Invitation words
