# Passaparola, Italian: the invitation e-mail and its one reminder.
# Every customer receives this same text, whatever they are expected to say: it never asks
# for a positive review and never mentions stars. Its public copy is the invitations page.
# Changing any message here changes the template's hash (app::mail::render::template_hash).

mail-subject = Com'è andata con { $business }? Ordine { $reference }
mail-subject-reminder = Promemoria: com'è andata con { $business }? Ordine { $reference }
mail-greeting-name = Buongiorno { $name },
mail-greeting = Buongiorno,
mail-intro = { $business } ti invita a scrivere una recensione sulla tua esperienza con l'ordine { $reference }.
mail-intro-reminder = Questo è l'unico promemoria, non ne riceverai altri: { $business } ti invita a scrivere una recensione sulla tua esperienza con l'ordine { $reference }.
mail-subject-reminder-custom = Promemoria: { $subject }
mail-reminder-note = Questo è l'unico promemoria, non ne riceverai altri.
mail-products = Nell'ordine:
mail-button = Scrivi la recensione
mail-link-text = Per scrivere la recensione, apri questo link:
mail-link-fallback = Se il pulsante non funziona, copia questo indirizzo nel browser:
mail-expires = Il link è personale, vale per una sola recensione e scade il { $date }.
mail-published = La recensione sarà pubblicata qualunque cosa dica, positiva o negativa. { $business } potrà risponderti pubblicamente, ma non potrà mai rimuoverla.
mail-optional = Scriverla è facoltativo: se preferisci di no, ignora pure questo messaggio.
mail-same-invitation = Ogni cliente di { $business } riceve questo stesso invito, parola per parola, qualunque sia stata la sua esperienza. Il testo è pubblico:
mail-sent-for = Ti scriviamo con Passaparola per conto di { $business }, che ci ha dato il tuo indirizzo per l'ordine { $reference }.
mail-unsubscribe = Non vuoi ricevere altri inviti come questo?
mail-unsubscribe-link = Annulla l'iscrizione
# The plain-text footer, followed by the link on a line of its own.
mail-unsubscribe-text = { mail-unsubscribe } { mail-unsubscribe-link }:

mail-date = { $day } { $month } { $year }
mail-month-1 = gennaio
mail-month-2 = febbraio
mail-month-3 = marzo
mail-month-4 = aprile
mail-month-5 = maggio
mail-month-6 = giugno
mail-month-7 = luglio
mail-month-8 = agosto
mail-month-9 = settembre
mail-month-10 = ottobre
mail-month-11 = novembre
mail-month-12 = dicembre
