# Passaparola, English: the invitation e-mail and its one reminder.
# Every customer receives this same text, whatever they are expected to say: it never asks
# for a positive review and never mentions stars. Its public copy is the invitations page.
# Changing any message here changes the template's hash (app::mail::render::template_hash).

mail-subject = How did it go with { $business }? Order { $reference }
mail-subject-reminder = Reminder: how did it go with { $business }? Order { $reference }
mail-greeting-name = Hello { $name },
mail-greeting = Hello,
mail-intro = { $business } invites you to review your experience with order { $reference }.
mail-intro-reminder = This is the one and only reminder: { $business } invites you to review your experience with order { $reference }.
mail-subject-reminder-custom = Reminder: { $subject }
mail-reminder-note = This is the only reminder; you will not receive another.
mail-products = In this order:
mail-button = Write your review
mail-link-text = To write your review, open this link:
mail-link-fallback = If the button does not work, copy this address into your browser:
mail-expires = The link is personal, works for one review and expires on { $date }.
mail-published = Your review will be published whatever it says, positive or negative. { $business } can answer it publicly, but can never remove it.
mail-optional = Writing one is up to you: if you would rather not, simply ignore this message.
mail-same-invitation = Every customer of { $business } receives this same invitation, word for word, whatever their experience. Its text is public:
mail-sent-for = We are writing through Passaparola on behalf of { $business }, who gave us your address for order { $reference }.
mail-unsubscribe = Don't want to receive invitations like this one?
mail-unsubscribe-link = Unsubscribe
# The plain-text footer, followed by the link on a line of its own.
mail-unsubscribe-text = { mail-unsubscribe } { mail-unsubscribe-link }:

mail-date = { $day } { $month } { $year }
mail-month-1 = January
mail-month-2 = February
mail-month-3 = March
mail-month-4 = April
mail-month-5 = May
mail-month-6 = June
mail-month-7 = July
mail-month-8 = August
mail-month-9 = September
mail-month-10 = October
mail-month-11 = November
mail-month-12 = December
