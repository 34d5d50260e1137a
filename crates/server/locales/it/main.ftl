# Passaparola, Italian. Every user-facing string of the web pages lives here and in ../en.
site-name = Passaparola
site-tagline = Recensioni certificate, tutte pubblicate
skip-to-content = Vai al contenuto
nav-home = Home
lang-label = Lingua
footer-log = Ogni recensione e ogni risposta sono registrate in un log pubblico firmato: chiunque può verificare che nulla sia stato nascosto, modificato o retrodatato.
footer-checkpoint = Stato del log
footer-api = API

home-title = Passaparola: recensioni certificate
home-description = Recensioni vere di clienti veri, tutte pubblicate, anche quelle negative, con le risposte delle aziende.
home-heading = Trova un'azienda
home-intro = Leggi cosa dicono clienti, fornitori e collaboratori. Ogni recensione nata da un invito è verificata, e nessuna può essere nascosta.
search-label = Nome dell'azienda
search-button = Cerca
search-results = { $count ->
    [one] Un'azienda trovata
   *[other] { $count } aziende trovate
}
search-none = Nessuna azienda trovata per «{ $query }».
businesses-heading = Aziende

business-title = { $name }: recensioni
business-description = { $count ->
    [one] Una recensione di { $name }
   *[other] { $count } recensioni di { $name }
}, tutte pubblicate, con le risposte dell'azienda.
score-label = Valutazione media
score-out-of = { $average } su 5
reviews-count = { $count ->
    [0] Nessuna recensione
    [one] Una recensione
   *[other] { $count } recensioni
}
distribution-label = Distribuzione delle stelle
stars = { $count ->
    [one] 1 stella
   *[other] { $count } stelle
}
rated = Valutazione: { $count ->
    [one] 1 stella su 5
   *[other] { $count } stelle su 5
}
reply-rate = Risposte
median-reply = Tempo mediano alla prima risposta
nps-label = Net Promoter Score
not-yet = ancora nessun dato
filters-heading = Filtra le recensioni
filter-stars = Stelle
filter-all = Tutte
filter-relationship = Relazione
sort-label = Ordina
sort-newest = Più recenti
sort-oldest = Meno recenti
sort-highest = Valutazione più alta
sort-lowest = Valutazione più bassa
apply = Applica
next-page = Recensioni successive
first-page = Torna alle prime
no-reviews = Nessuna recensione corrisponde.
website = Sito web

relationship-customer = Cliente
relationship-supplier = Fornitore
relationship-employee = Collaboratore
relationship-partner = Partner
relationship-investor = Investitore
relationship-other = Altro

verified = Verificata
verified-hint = Scritta da una persona invitata dall'azienda dopo un acquisto o un rapporto reale.
not-verified = Non verificata
imported = Importata, non verificata
imported-hint = Raccolta altrove e importata dall'azienda: Passaparola non può garantirla, e non conta in nessuna statistica.
imported-from = In origine su { $source }, { $date }
imported-on = Importata il { $date }
experienced-on = Esperienza del { $date }
written-on = Scritta il { $date }
edited = { $count ->
    [one] modificata una volta
   *[other] modificata { $count } volte
}
reply-from = Risposta di { $name }
reply-from-role = Risposta di { $name }, { $role }
follow-up = Replica dell'autore
withdrawn = Recensione ritirata dall'autore il { $date }.
erased = Il contenuto di questa recensione è stato cancellato il { $date }, su richiesta. Il registro pubblico conserva la traccia che esisteva.
permalink = Link permanente

review-title = Recensione di { $author } per { $name }
review-title-gone = Recensione per { $name }
review-description = { $title }: una recensione di { $name } su Passaparola.
back-to = Tutte le recensioni di { $name }
history-heading = Storia della recensione
history-more = Il resto della storia (JSON)
event-review_published = Pubblicata
event-review_edited = Modificata
event-review_withdrawn = Ritirata
event-reply_published = Risposta dell'azienda
event-reply_edited = Risposta modificata
event-follow_up_published = Replica dell'autore
event-content_erased = Contenuto cancellato
event-review_imported = Importata da altrove
event-invitation_template_changed = Modello d'invito cambiato
log-heading = Nel registro pubblico
log-index = Voce n. { $index } del registro
receipt-download = Scarica la ricevuta (.tlog-proof)
verify-how = La ricevuta contiene la voce, la prova di inclusione e il checkpoint firmato. Chiunque può verificarla senza fidarsi di noi, per esempio con «passaparola verify receipt FILE --key CHIAVE», usando la chiave pubblica del registro.

duration-minutes = { $count ->
    [one] 1 minuto
   *[other] { $count } minuti
}
duration-hours = { $count ->
    [one] 1 ora
   *[other] { $count } ore
}
duration-days = { $count ->
    [one] 1 giorno
   *[other] { $count } giorni
}

month-1 = gennaio
month-2 = febbraio
month-3 = marzo
month-4 = aprile
month-5 = maggio
month-6 = giugno
month-7 = luglio
month-8 = agosto
month-9 = settembre
month-10 = ottobre
month-11 = novembre
month-12 = dicembre
date = { $day } { $month } { $year }

not-found-title = Pagina non trovata
not-found-body = Non c'è niente a questo indirizzo. Forse il link è sbagliato o incompleto.
bad-request-title = Richiesta non valida
bad-request-body = Uno dei parametri della pagina non è valido: { $detail }
error-title = Qualcosa è andato storto
error-body = Non è colpa tua: riprova tra poco.

form-title = Recensisci { $name }
form-intro = Racconta la tua esperienza con { $name }. La recensione sarà pubblicata subito, con l'etichetta «Verificata», anche se è negativa: ogni opinione sincera conta.
form-as = Ti hanno invitato come: { $relationship }
field-rating = La tua valutazione
field-title = Titolo
field-body = La tua recensione
field-nps = Quanto consiglieresti { $name } a un amico o a un collega? Da 0 (per niente) a 10 (moltissimo).
field-nps-none = Preferisco non rispondere
field-products = I prodotti del tuo ordine
field-products-hint = Se vuoi, valutane qualcuno: ogni valutazione appare nella pagina del prodotto.
field-product-none = Non valutato
field-product-body = Due parole su { $name } (facoltativo)
field-experience-date = Data dell'esperienza (facoltativa)
field-author = Nome da mostrare
field-author-hint = Per esempio il nome e l'iniziale del cognome.
submit-review = Pubblica la recensione
form-errors = Controlla i campi segnalati: niente di quello che hai scritto è andato perso.
error-required = Campo obbligatorio.
error-too_long = Troppo lungo.
error-too_short = Troppo corto.
error-out_of_range = Valore fuori dall'intervallo ammesso.
error-in_future = La data non può essere nel futuro.
error-invalid_date = Data non valida.
error-invalid_character = Contiene un carattere non ammesso.
error-other = Valore non valido.
link-unknown-title = Link non valido
link-unknown-body = Questo link di invito non esiste. Controlla di averlo copiato per intero.
link-used-title = Recensione già scritta
link-used-body = Con questo invito è già stata scritta una recensione. Grazie!
link-expired-title = Invito scaduto
link-expired-body = Questo invito è scaduto. Se vuoi comunque lasciare una recensione, chiedi all'azienda un nuovo invito.
link-forged-title = Link non valido
link-forged-body = Questo link non è firmato dall'attività, oppure è stato modificato per strada. Usa il link esattamente come te l'ha mandato l'attività, o chiedigliene uno nuovo.
link-incomplete-title = Link incompleto
link-incomplete-body = A questo link mancano alcune parti. Controlla di averlo copiato per intero.
forbidden-title = Richiesta rifiutata
forbidden-body = Il modulo è stato inviato da un altro sito. Riprova dalla pagina della recensione.
thanks-title = Grazie!
thanks-body = La tua recensione per { $name } è pubblicata.
thanks-view = Vedi la recensione pubblicata
thanks-receipt = Scarica la ricevuta
thanks-receipt-hint = La ricevuta prova che la recensione è stata accettata così come l'hai scritta: conservala.

edit-title = La tua recensione per { $name }
edit-intro = Da questa pagina puoi modificare la recensione, rispondere una volta alla risposta dell'azienda, o ritirarla. Chi ha questo link può farlo: non condividerlo.
edit-heading = Modifica
edit-save = Salva le modifiche
follow-up-heading = Rispondi all'azienda
follow-up-label = La tua replica (una sola volta)
follow-up-submit = Pubblica la replica
withdraw-heading = Ritira la recensione
withdraw-explain = La recensione non sarà più mostrata né conteggiata. Resterà una traccia che è esistita ed è stata ritirata, anche nel registro pubblico.
withdraw-confirm = Ho capito, voglio ritirarla
withdraw-submit = Ritira la recensione
notice-edit = La recensione è aggiornata.
notice-follow_up = La tua replica è pubblicata.
notice-withdraw = La recensione è stata ritirata.
edit-link = Il tuo link per modificare la recensione
edit-link-hint = Conservalo: serve per modificare o ritirare la recensione, e non potremo mostrartelo di nuovo. Chi ha il link può usarlo: non condividerlo.
edit-unknown-title = Link non valido
edit-unknown-body = Questo link di modifica non corrisponde a nessuna recensione. Controlla di averlo copiato per intero.
notice-unchanged = Niente è cambiato: la recensione resta com'era.
conflict-title = La recensione è cambiata
conflict-body = Nel frattempo la recensione è stata modificata, ritirata o ha già una replica. Ricarica la pagina.
rate-limited-title = Troppe richieste ravvicinate
rate-limited-body = Hai ripetuto questa azione molte volte in poco tempo. Riprova tra { $seconds } secondi.

login-title = Accesso per le aziende
login-intro = Entra per rispondere alle recensioni della tua azienda.
login-email = E-mail
login-password = Password
login-submit = Entra
login-failed = E-mail o password non corretti.
login-limited = Troppi tentativi non riusciti: riprova tra 15 minuti.
login-busy = Troppi accessi in questo momento: riprova tra qualche secondo.
logout = Esci
signed-in-as = Hai effettuato l'accesso come { $name } ({ $business }).
inbox-title = Recensioni a cui rispondere
inbox-intro = Prima le valutazioni più basse, poi le più vecchie: una risposta rapida e cortese, da chi può intervenire, vale più del silenzio.
inbox-count = { $count ->
    [0] Nessuna recensione attende una risposta.
    [one] Una recensione attende una risposta.
   *[other] { $count } recensioni attendono una risposta.
}
reply-label = La tua risposta pubblica
reply-signed = Sarà firmata: { $signature }
reply-submit = Pubblica la risposta
notice-reply = La risposta è pubblicata.

nav-inbox = Da rispondere
nav-invitations = Inviti
invitations-title = Inviti
invitations-intro = Invita chi ha davvero avuto a che fare con te: clienti, fornitori, collaboratori. Tutti ricevono lo stesso invito neutro, qualunque cosa pensi che diranno.
invitation-reference = Riferimento (per esempio il numero d'ordine)
invitation-name = Nome (facoltativo, visibile solo a te)
invitation-email = E-mail (facoltativa, visibile solo a te)
invitation-locale = Lingua dell'invito
invitation-create = Crea l'invito
invitation-created = Invito pronto: manda questo link a { $reference }.
invitation-existing = Questo riferimento era già stato invitato: ecco lo stesso invito.
invitations-latest = Ultimi inviti
invitation-status-open = Aperto fino al { $date }
invitations-no-mail = Questa istanza non invia e-mail (chi la gestisce non ha configurato un server SMTP): manda tu il link di ogni invito.
invitation-mail-none = E-mail: nessuna
invitation-mail-scheduled = E-mail: in partenza il { $date }
invitation-mail-sent = E-mail: inviata
invitation-mail-reminded = E-mail: inviata, con un promemoria
invitation-mail-failed = E-mail: non riuscita
invitation-mail-undeliverable = E-mail: l'indirizzo rifiuta la posta
invitation-mail-unsubscribed = E-mail: l'indirizzo ha chiesto di non ricevere più nulla da te
invitation-status-used = Recensione scritta il { $date }
invitation-status-expired = Scaduto il { $date }
invitation-link = Link
invitations-none = Nessun invito ancora.
locale-it = Italiano
locale-en = Inglese

nav-keys = Chiavi API
keys-title = Chiavi API
keys-intro = Le chiavi API permettono al tuo negozio online o al gestionale di creare inviti. Ogni chiave si vede una sola volta, quando la crei; revocala appena non serve più.
key-create = Crea una nuova chiave
key-created = La tua nuova chiave, mostrata solo ora: copiala nel tuo sistema.
key-revoke = Revoca
key-active = Attiva dal { $date }
key-revoked = Revocata il { $date }
key-revoked-notice = La chiave è revocata: non funziona più.
keys-none = Nessuna chiave.

nav-users = Persone
users-title = Persone
users-intro = Le persone che accedono per la tua azienda. Quando qualcuno se ne va, disattivalo: non potrà più accedere, e le sue sessioni finiscono subito.
user-you = tu
user-active = Attivo dal { $date }
user-disabled = Disattivato il { $date }
user-sign-out = Esci da tutti i dispositivi
user-reset-password = Reimposta la password
user-disable = Disattiva
user-enable = Riattiva
user-disabled-notice = Disattivato: non può più accedere, e le sue sessioni sono finite.
user-enabled-notice = Riattivato: può accedere con la sua password.
user-signed-out-notice = Uscito da tutti i dispositivi: le sue sessioni sono finite.
user-password-notice = La nuova password, mostrata solo ora: consegnala in modo sicuro. Le sue sessioni sono finite.
user-self-title = Non su te stesso
user-self-body = Non puoi disattivarti né reimpostare la tua password qui: chiedi a un collega, o al gestore di questa istanza.

answered-heading = Risposte recenti
reply-edit-link = Modifica la risposta
reply-page-title = Risposta a { $author }
reply-page-intro = La risposta è pubblica e firmata con il tuo nome. Si può modificare: la pagina della recensione lo mostra, e il registro conserva ogni versione.
reply-history-heading = Versioni della risposta
reply-edit-submit = Pubblica la risposta modificata
notice-reply-edited = La risposta è pubblicata.
inbox-back = Torna alle recensioni a cui rispondere
inbox-live-new = È arrivata una nuova recensione.
inbox-replied-elsewhere = A questa recensione è appena stata data una risposta, forse da un collega.

review-landing-title = Scrivi una recensione
review-landing-body = Su Passaparola scrivono recensioni solo i clienti invitati da un'azienda, così ognuna è autentica, e ognuna è pubblicata. Apri il link del tuo invito per scrivere la tua.
review-landing-find = Leggi le recensioni di un'azienda
item-review-heading = La recensione
error-already_answered = Nel frattempo un collega ha risposto a questa recensione: la sua risposta è sopra, la tua è conservata qui sotto, non pubblicata. Modificala e pubblicala se deve sostituire la sua.
inbox-gone = L'autore ha appena ritirato questa recensione: non è più possibile rispondere.

## Figures for a period, trends, products
figures-heading = Le cifre nel periodo
period-label = Periodo
period-7 = Ultimi 7 giorni
period-30 = Ultimi 30 giorni
period-90 = Ultimi 90 giorni
period-365 = Ultimo anno
period-all = Da sempre
verified-label = Recensioni
verified-all = Tutte
verified-only = Solo verificate
grain-label = Andamento
grain-month = Per mese
grain-week = Per settimana
percent = { $value }%
score-label-bayes = Punteggio (intervallo al 95%)
score-value = { $value } ({ $low }–{ $high })
figure-reviews = Recensioni pubblicate
nps-value = { $nps } (su { $count ->
    [one] una risposta
   *[other] { $count } risposte
})
reply-rate-low = Risposte alle recensioni da 1–2 stelle
median-reply-low = Tempo mediano alla prima risposta, 1–2 stelle
invitations-sent = Inviti inviati
reviews-per-invitation = Recensioni per invito
non-response = Inviti senza risposta
week-of = Settimana del { $date }
chart-week = Settimana
chart-month = Mese
chart-table = I dati del grafico
chart-rating-week = Valutazione media per settimana
chart-rating-month = Valutazione media per mese
chart-rating-value = Valutazione media
chart-volume-week = Recensioni per settimana
chart-volume-month = Recensioni per mese
chart-volume-value = Recensioni
chart-reply-week = Tempo mediano di risposta per settimana
chart-reply-month = Tempo mediano di risposta per mese
chart-reply-value = Tempo mediano alla prima risposta
products-heading = Prodotti recensiti
product-summary = { $average } su 5, { $count ->
    [one] una valutazione
   *[other] { $count } valutazioni
}
product-no-ratings = Ancora nessuna valutazione
product-title = { $product } — recensioni dei clienti di { $name }
product-description = { $count ->
    [0] Le valutazioni di { $product } dei clienti, tutte pubblicate.
    [one] Una valutazione di { $product } dei clienti, pubblicata senza filtri.
   *[other] { $count } valutazioni di { $product } dei clienti, tutte pubblicate.
}
product-byline = { $author }, { $date }
product-rating-label = Valutazione del prodotto
product-ratings-heading = Le ultime valutazioni
product-read-review = Leggi la recensione
ratings-count = { $count ->
    [0] Nessuna valutazione
    [one] Una valutazione
   *[other] { $count } valutazioni
}

## The widget, the badge and the feed
widget-title = Recensioni dei clienti
widget-score = { $score } / 5
widget-score-label = Punteggio { $score } su 5
widget-read-all = Leggi tutte le recensioni
widget-verified = Recensioni verificate, pubblicate senza filtri, su Passaparola
widget-empty = Ancora nessuna recensione
badge-label = Passaparola
badge-value = { $score } ★ · { $count ->
    [one] 1 recensione
   *[other] { $count } recensioni
}
feed-title = Recensioni di { $name }

## Disiscrizione (/u/{token})
unsubscribe-title = Niente più inviti per e-mail
unsubscribe-body = { $business } non invierà più inviti né promemoria a questo indirizzo tramite Passaparola. Le recensioni già scritte restano come sono.
unsubscribe-button = Blocca tutte le e-mail di questa attività
unsubscribe-done-title = Non riceverai più e-mail
unsubscribe-done-body = { $business } non invierà più nulla a questo indirizzo tramite Passaparola, chiunque lo chieda: l'indirizzo resta solo come codice non reversibile, per poterlo riconoscere.

## Public invitations page
invitations-page-link = Come vengono inviati gli inviti
invitations-page-title = Come { $name } invita a recensire
invitations-page-description = L'invito che ogni cliente di { $name } riceve, parola per parola, i numeri dei suoi inviti e le impostazioni in vigore: nessuna selezione di chi può recensire.
invitations-page-heading = Come { $name } invita a scrivere una recensione
invitations-page-intro = Ogni persona invitata riceve lo stesso messaggio, parola per parola, qualunque cosa ci si aspetti che dica. Eccolo, in italiano e in inglese, seguito dai numeri degli inviti e dalle impostazioni in vigore.
invitations-page-message-heading = Il messaggio di invito
invitations-page-placeholders = Tra parentesi quadre ciò che cambia da un invito all'altro: il riferimento dell'ordine, i prodotti, i link personali. Qui il saluto non nomina nessuno; se l'invito riporta un nome, l'e-mail saluta la persona per nome.
invitations-page-in-it = In italiano
invitations-page-in-en = In inglese
invitations-page-subject = Oggetto:
invitations-page-reminder-heading = L'unico promemoria, se previsto
invitations-page-fingerprint = Impronta del modello (SHA-256)
invitations-page-template-default = Oggetto e apertura sono le parole predefinite di Passaparola: { $name } non le ha cambiate.
invitations-page-template-revision = Oggetto e apertura sono parole di { $name }, versione { $revision } del { $date }; ogni modifica è elencata qui sotto e registrata.
invitations-page-history-heading = Ogni modifica all'invito
invitations-page-history-intro = Ogni modifica è una voce del registro pubblico. Con il sale e il contenuto, chiunque può ricalcolarne l'impegno e confrontarlo con il registro (docs/log-format.md).
invitations-page-history-empty = Nessuna modifica: ogni invito usa le parole predefinite di Passaparola.
invitations-page-history-row = { $language }: versione { $revision } del { $date }
invitations-page-history-entry = Voce del registro
invitations-page-history-pending = in registrazione
invitations-page-history-salt = Sale
invitations-page-history-content = Contenuto
invitations-page-history-older = Modifiche precedenti
invitations-page-history-no-older = Nessuna modifica precedente.
invitations-page-fingerprint-hint = Il testo qui sopra è composto dallo stesso codice che invia le e-mail. L'impronta è calcolata sul modello di ciascuna lingua: cambia se ne cambia anche una sola parola.
invitations-page-figures-heading = Gli inviti finora
invitations-page-figures-intro = Da sempre, solo numeri: nulla che riguardi una persona. Gli inviti di un negozio collegato nascono dai suoi ordini; quelli a mano li crea l'attività (API, pagine, file CSV, link firmati).
invitations-page-by-shop = Creati da un negozio collegato
invitations-page-by-hand = Creati a mano
invitations-page-sent = E-mail inviate
invitations-page-reminded = Promemoria inviati
invitations-page-unsubscribed = Indirizzi che non vogliono altre e-mail
invitations-page-undeliverable = Indirizzi che rifiutano la posta
invitations-page-answered = Inviti con una recensione
invitations-page-settings-heading = Le impostazioni in vigore
invitations-page-shop-delay = Dopo un ordine da un negozio
invitations-page-shop-delay-value = L'invito parte { $after } dopo l'evasione dell'ordine
invitations-page-shop-delay-none = L'invito parte appena l'ordine è evaso
invitations-page-reminder = Promemoria
invitations-page-reminder-one = Uno solo, { $after } dopo l'invito, se la recensione non è ancora stata scritta
invitations-page-reminder-none = Nessuno
invitations-page-neutral = Nessuna impostazione, da nessuna parte, dipende da ciò che ci si aspetta che un cliente dica: { $name } sceglie solo quando partono gli inviti (il ritardo dopo un ordine del negozio, un promemoria o nessuno), mai a chi mandarli in base all'opinione che si aspetta.
invitations-page-placeholder-reference = [riferimento ordine]
invitations-page-placeholder-product = [prodotto]
invitations-page-placeholder-review-link = [link personale per la recensione]
invitations-page-placeholder-unsubscribe-link = [link per annullare l'iscrizione]

## Invitation settings
settings-nav = Impostazioni
settings-mail-heading = Impostazioni delle e-mail
settings-mail-intro = Quando partono gli inviti per e-mail. Ogni modifica vale per gli inviti creati da quel momento in poi.
settings-mail-public = Queste impostazioni sono pubbliche, sulla pagina della tua attività dedicata agli inviti:
settings-delay = Attesa dopo un ordine da un negozio (ore)
settings-delay-hint = Da 0 (subito) a 720 (30 giorni), a partire da quando un negozio collegato segnala l'ordine come evaso (Shopify) o completato (WooCommerce).
settings-reminder = Promemoria
settings-reminder-hint = Al massimo uno, inviato solo se la recensione non è ancora stata scritta e l'invito è ancora valido.
settings-reminder-none = Nessun promemoria
settings-reminder-after = { $count ->
    [one] 1 giorno dopo l'invito
   *[other] { $count } giorni dopo l'invito
}
settings-mail-save = Salva le impostazioni delle e-mail
settings-mail-saved = Impostazioni delle e-mail salvate: valgono per gli inviti creati da adesso in poi.
settings-shops-heading = Negozi
settings-shops-intro = Un negozio collegato comunica a Passaparola i suoi ordini: ogni ordine evaso (Shopify) o completato (WooCommerce) diventa un invito, spedito per e-mail dopo l'attesa indicata sopra. Niente di ciò che invia un negozio crea mai una recensione.
settings-shops-none = Nessun negozio collegato.
settings-shop-kind = Piattaforma
settings-shop-address = Indirizzo del webhook
settings-shop-since = Collegato dal { $date }
settings-shop-connect-heading = Collega un negozio
settings-shop-how-shopify = Shopify: Impostazioni → Notifiche → Webhook → Crea webhook. Evento «Evasione dell'ordine» («Order fulfillment», argomento orders/fulfilled), formato JSON e questo indirizzo. Shopify firma con la chiave che mostra sotto l'elenco dei webhook: incollala nel campo del segreto qui sotto.
settings-shop-how-woocommerce = WooCommerce: WooCommerce → Impostazioni → Avanzate → Webhook → Aggiungi webhook. Argomento «Ordine aggiornato» («Order updated»), versione API «WP REST API Integration v3», questo indirizzo e il segreto che Passaparola mostra dopo il collegamento (lascia vuoto il campo del segreto qui sotto).
settings-shop-secret = Segreto (facoltativo)
settings-shop-secret-hint = Per Shopify, la chiave di firma che mostra Shopify (almeno 16 caratteri). Se resta vuoto, ne viene creato uno nuovo, mostrato una sola volta, da incollare nel negozio.
settings-shop-replace = Collegare di nuovo una piattaforma già collegata ne sostituisce il segreto: da quel momento le consegne firmate con quello vecchio vengono rifiutate.
settings-shop-connect = Collega il negozio
settings-shop-errors = Controlla i campi segnalati. Il segreto che hai scritto non viene conservato: incollalo di nuovo.
settings-shop-connected = { $platform } è collegato, con il segreto che hai indicato.
settings-shop-connected-new = { $platform } è collegato.
settings-shop-secret-once = Il segreto da incollare nel webhook del negozio, mostrato solo ora: copialo prima di lasciare questa pagina.
settings-link-heading = Link firmati
settings-link-intro = Il tuo negozio può creare da sé i link di invito, firmandoli con un segreto condiviso con Passaparola, senza chiamare l'API. L'invito nasce quando il cliente apre il link per la prima volta.
settings-link-secret-none = Non c'è ancora un segreto per i link: i link firmati dal tuo negozio vengono rifiutati.
settings-link-secret-exists = È in vigore un segreto per i link. Non viene più mostrato: se è andato perso, creane uno nuovo.
settings-link-docs = Come costruire e firmare i link: docs/invitation-links.md, nella documentazione di Passaparola.
settings-link-warning = Un nuovo segreto sostituisce subito quello attuale: i link firmati con quello attuale smettono di funzionare.
settings-link-make = Crea il segreto per i link
settings-link-rotate = Crea un nuovo segreto per i link
settings-link-secret-made = Il tuo nuovo segreto per i link, mostrato solo ora: copialo nel tuo negozio. I link firmati con quello precedente non funzionano più.
template-title = Le parole del tuo invito
template-intro = Scegli l'oggetto e l'apertura della tua e-mail d'invito, in ciascuna lingua. Ogni cliente riceve le stesse parole; il resto del messaggio (il link, che ogni recensione è pubblicata qualunque cosa dica, che scriverla è facoltativo, come annullare l'iscrizione) è uguale per ogni azienda.
template-placeholders = Scrivi {"{"}business{"}"} per il nome della tua azienda e {"{"}reference{"}"} per il riferimento dell'ordine; nessun'altra parentesi graffa.
template-public-page = Ogni modifica è pubblica, con la sua storia e la sua voce del registro, nella tua pagina degli inviti.
template-subject = Oggetto
template-opening = Apertura, dopo il saluto
template-save = Salva e pubblica
template-saved = Salvato: la modifica è registrata e mostrata nella tua pagina pubblica degli inviti, e ogni invito spedito da ora la usa.
template-unchanged = Nessuna modifica: sono già queste le parole in vigore.
template-state-default = Sono in vigore le parole predefinite di Passaparola.
template-state-revision = È in vigore la tua versione { $revision } del { $date }.
error-unknown_placeholder = Le parentesi graffe possono contenere solo {"{"}business{"}"} o {"{"}reference{"}"}.
nav-template = Parole dell'invito
