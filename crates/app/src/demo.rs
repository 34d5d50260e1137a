//! A believable Italian demo data set, written through the same write path as real traffic,
//! with times spread over the past months so that replies have real delays.

use chrono::{DateTime, Duration, Utc};
use domain::business::NewBusiness;
use domain::ids::{InvitationId, ReviewId};
use domain::invitation::{InvitationInput, NewInvitation, ProductInput};
use domain::review::{FollowUpBody, ProductRatingInput, ReplyDraft, ReviewDraft, ReviewInput};
use domain::secret::Secret;
use store::{ReviewCommand, Store, StoreError};

use crate::tokens::{self, InstanceKey};

struct DemoReview {
    rating: i64,
    nps: Option<i64>,
    title: &'static str,
    body: &'static str,
    author: &'static str,
    relationship: &'static str,
    /// Days before now the review was written.
    days_ago: i64,
    /// Hours until the business replied, and what it said.
    reply: Option<(i64, &'static str)>,
    follow_up: Option<&'static str>,
}

struct DemoBusiness {
    slug: &'static str,
    name: &'static str,
    website: &'static str,
    responder: (&'static str, &'static str),
    reviews: &'static [DemoReview],
    /// (SKU, name) of what its customers order: each review's invitation lists some.
    products: &'static [(&'static str, &'static str)],
}

/// Background reviews, older than the hand-written ones, so the trend charts have a year
/// to draw: (rating, title, body). Picked by a fixed sequence, so the data is the same on
/// every machine.
const BACKGROUND: &[(i64, &str, &str)] = &[
    (
        5,
        "Sempre una certezza",
        "Qualità costante, personale gentile e prezzi onesti. Consigliato.",
    ),
    (
        5,
        "Esperienza eccellente",
        "Tutto come promesso, anzi meglio. Ci torneremo senz'altro.",
    ),
    (
        4,
        "Molto bene",
        "Servizio buono e puntuale; qualche piccolo dettaglio da migliorare.",
    ),
    (
        4,
        "Soddisfatto",
        "Buon rapporto qualità-prezzo, risposte chiare alle mie domande.",
    ),
    (
        3,
        "Nella media",
        "Niente di male, ma nemmeno niente di speciale questa volta.",
    ),
    (
        2,
        "Non all'altezza",
        "Attesa lunga e poca attenzione. Spero sia stata una giornata storta.",
    ),
    (
        1,
        "Deluso",
        "Ordine sbagliato e nessuno che se ne sia preso cura sul momento.",
    ),
    (
        5,
        "Bravissimi",
        "Attenti, veloci e cordiali. Difficile chiedere di più.",
    ),
];

/// What reviewers say of a product, now and then.
const PRODUCT_WORDS: [&str; 4] = [
    "Esattamente come descritto.",
    "Ottima qualità, lo riprenderei.",
    "Buono, ma la porzione era piccola.",
    "Ben fatto e arrivato in fretta.",
];

/// The fixed sequence behind the background data (a linear congruential generator).
fn next(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *state >> 33
}

const fn review(
    rating: i64,
    nps: Option<i64>,
    title: &'static str,
    body: &'static str,
    author: &'static str,
    days_ago: i64,
    reply: Option<(i64, &'static str)>,
) -> DemoReview {
    DemoReview {
        rating,
        nps,
        title,
        body,
        author,
        relationship: "customer",
        days_ago,
        reply,
        follow_up: None,
    }
}

const TRATTORIA: &[DemoReview] = &[
    review(
        5,
        Some(10),
        "Tortellini come quelli della nonna",
        "Brodo limpido, sfoglia tirata a mano e un servizio cordiale. Torneremo di sicuro con tutta la famiglia.",
        "Marco B.",
        3,
        Some((
            5,
            "Grazie Marco! La sfoglia la tira ogni mattina la signora Franca: glielo diremo.",
        )),
    ),
    review(
        4,
        Some(8),
        "Ottima cucina, attesa un po' lunga",
        "Tagliatelle al ragù eccellenti. Il sabato sera però abbiamo aspettato quaranta minuti per il secondo.",
        "Chiara",
        9,
        Some((
            20,
            "Grazie Chiara, ha ragione: il sabato abbiamo aggiunto una persona in cucina proprio per i tempi d'attesa.",
        )),
    ),
    review(
        3,
        Some(6),
        "Nella media",
        "Piatti buoni ma porzioni ridotte rispetto al prezzo. Personale gentile.",
        "Luca M.",
        15,
        None,
    ),
    DemoReview {
        rating: 2,
        nps: Some(3),
        title: "Prenotazione persa",
        body: "Avevamo prenotato per otto persone e al nostro arrivo il tavolo non c'era. Ci hanno sistemati dopo mezz'ora.",
        author: "Francesca R.",
        relationship: "customer",
        days_ago: 24,
        reply: Some((
            3,
            "Francesca, ci scusiamo davvero: un errore nel registro delle prenotazioni. Abbiamo introdotto la conferma via SMS. Ci farebbe piacere offrirvi il dolce alla prossima visita.",
        )),
        follow_up: Some("Grazie della risposta rapida: apprezzato il gesto, torneremo a provare."),
    },
    review(
        1,
        Some(0),
        "Conto sbagliato",
        "Ci hanno addebitato due bottiglie di vino mai ordinate e il cameriere è stato sgarbato quando l'abbiamo fatto notare.",
        "Giorgio P.",
        31,
        Some((
            2,
            "Giorgio, ci dispiace molto. Abbiamo verificato: l'errore era nostro e le abbiamo scritto per il rimborso. Ne abbiamo parlato con tutto il personale di sala.",
        )),
    ),
    review(
        5,
        Some(9),
        "Il miglior bollito di Bologna",
        "Carrello dei bolliti con salsa verde fatta in casa. Vini del territorio scelti con cura.",
        "Elena",
        40,
        Some((
            30,
            "Grazie Elena, il carrello dei bolliti è la nostra passione d'inverno!",
        )),
    ),
    review(
        4,
        None,
        "Pranzo di lavoro riuscito",
        "Menu del giorno a buon prezzo, servizio veloce: perfetto per la pausa pranzo.",
        "Davide S.",
        52,
        None,
    ),
    review(
        5,
        Some(10),
        "Accoglienza familiare",
        "Ci siamo sentiti a casa. Gino in persona è passato ai tavoli a chiedere se tutto andava bene.",
        "Anna e Paolo",
        67,
        Some((48, "Grazie a voi, è stato un piacere averci a cena!")),
    ),
    DemoReview {
        rating: 3,
        nps: Some(7),
        title: "Buono il cibo, meno il rumore",
        body: "La sala è molto rumorosa e si fatica a parlare. I piatti invece sono ottimi.",
        author: "Roberta",
        relationship: "customer",
        days_ago: 80,
        reply: Some((
            26,
            "Grazie Roberta: stiamo valutando pannelli fonoassorbenti per la sala grande.",
        )),
        follow_up: None,
    },
    DemoReview {
        rating: 4,
        nps: None,
        title: "Cliente puntuale e corretto",
        body: "Forniamo la trattoria di farine e uova da cinque anni: ordini chiari, pagamenti sempre nei tempi.",
        author: "Molino Val di Reno",
        relationship: "supplier",
        days_ago: 20,
        reply: None,
        follow_up: None,
    },
];

const FERRAMENTA: &[DemoReview] = &[
    review(
        5,
        Some(10),
        "Competenza rara",
        "Mi hanno spiegato come sostituire il sifone e prestato la chiave giusta. Negozi così ormai sono pochi.",
        "Alberto",
        5,
        Some((4, "Grazie Alberto, per qualsiasi dubbio siamo qui.")),
    ),
    review(
        4,
        Some(9),
        "Assortimento ampio",
        "Trovato tutto per la recinzione dell'orto. Prezzi un po' più alti della grande distribuzione, ma vale la consulenza.",
        "Silvia T.",
        18,
        None,
    ),
    review(
        2,
        Some(4),
        "Ordine arrivato incompleto",
        "Ho ordinato online venti tasselli e ne sono arrivati dieci. Ho dovuto chiamare due volte.",
        "Stefano",
        27,
        Some((
            30,
            "Stefano, ha ragione e ci scusiamo: il resto è partito ieri e le abbiamo stornato la spedizione.",
        )),
    ),
    review(
        1,
        Some(2),
        "Prodotto difettoso, reso complicato",
        "Il trapano si è rotto dopo una settimana. Per il reso mi hanno chiesto lo scontrino originale che avevo perso.",
        "Nadia",
        45,
        Some((
            6,
            "Nadia, la garanzia vale anche con l'estratto conto del pagamento: passi in negozio e sostituiamo il trapano.",
        )),
    ),
    review(
        3,
        None,
        "Tutto regolare",
        "Acquisto semplice, niente di speciale. Parcheggio difficile.",
        "Ivo",
        60,
        None,
    ),
];

const AGRITURISMO: &[DemoReview] = &[
    review(
        5,
        Some(10),
        "Pace e ottima cucina",
        "Camere pulite, vista sulle colline e una colazione con torte fatte in casa. Bambini felicissimi con gli animali.",
        "Famiglia Conti",
        8,
        Some((12, "Grazie! Le caprette vi aspettano la prossima estate.")),
    ),
    review(
        4,
        Some(8),
        "Bellissimo, strada sterrata impegnativa",
        "Posto incantevole. Gli ultimi due chilometri di sterrato con l'auto bassa sono stati un'avventura.",
        "Tommaso",
        22,
        Some((
            40,
            "Grazie Tommaso, abbiamo aggiunto un avviso nella mail di conferma sulla strada.",
        )),
    ),
    review(
        2,
        Some(5),
        "Piscina chiusa senza preavviso",
        "La piscina era in manutenzione per tutto il soggiorno e nessuno ce lo aveva detto al momento della prenotazione.",
        "Laura G.",
        35,
        None,
    ),
    review(
        3,
        Some(7),
        "Buona cena, camera fredda",
        "La cena era ottima, ma in camera il riscaldamento funzionava poco a fine ottobre.",
        "Michele",
        70,
        Some((
            72,
            "Michele, grazie della segnalazione: abbiamo sostituito la caldaia a novembre.",
        )),
    ),
    review(
        5,
        Some(9),
        "Cliente e fornitore di fiducia",
        "Compriamo il loro olio da anni: qualità costante e consegne puntuali.",
        "Enoteca Ferri",
        90,
        None,
    ),
];

const BUSINESSES: &[DemoBusiness] = &[
    DemoBusiness {
        slug: "trattoria-da-gino",
        name: "Trattoria da Gino",
        website: "https://trattoria-da-gino.example/",
        responder: ("Gino Zanetti", "Titolare"),
        reviews: TRATTORIA,
        products: &[
            ("TAGL-RAGU", "Tagliatelle al ragù"),
            ("TORT-BRODO", "Tortellini in brodo"),
            ("TIRAMISU", "Tiramisù della casa"),
        ],
    },
    DemoBusiness {
        slug: "ferramenta-rossi",
        name: "Ferramenta Rossi",
        website: "https://ferramenta-rossi.example/",
        responder: ("Paola Rossi", "Responsabile negozio"),
        reviews: FERRAMENTA,
        products: &[
            ("TRAP-18V", "Trapano avvitatore 18 V"),
            ("SCALA-5", "Scala in alluminio a 5 gradini"),
        ],
    },
    DemoBusiness {
        slug: "agriturismo-le-querce",
        name: "Agriturismo Le Querce",
        website: "https://lequerce.example/",
        responder: ("Sara Neri", "Accoglienza"),
        reviews: AGRITURISMO,
        products: &[],
    },
];

/// A demo business and its API key, to print once.
#[derive(Debug)]
pub struct SeededBusiness {
    pub slug: &'static str,
    pub api_key: Secret,
}

/// Seeds the demo data unless it is there already. Returns the new API keys, empty if the
/// data existed.
pub async fn seed(
    store: &dyn Store,
    key: &InstanceKey,
    now: DateTime<Utc>,
) -> Result<Vec<SeededBusiness>, StoreError> {
    if store.business_by_slug(BUSINESSES[0].slug).await?.is_some() {
        return Ok(Vec::new());
    }
    let invalid = |e: domain::ValidationErrors| StoreError::Config(format!("demo data: {e:?}"));
    let mut seeded = Vec::new();
    for b in BUSINESSES {
        let api_key = tokens::new_api_key();
        let created_at = now - Duration::days(400);
        let new = NewBusiness::parse(b.slug, b.name, Some(b.website)).map_err(invalid)?;
        let business = store
            .create_business(new, api_key.hash(), created_at)
            .await?;
        // The hand-written reviews, then a year of background ones for the businesses with
        // products (the trattoria and the hardware shop).
        let mut all: Vec<DemoReview> = b.reviews.iter().map(|r| DemoReview { ..*r }).collect();
        let mut seq = b.slug.len() as u64;
        if !b.products.is_empty() {
            for k in 0..140 {
                let (rating, title, body) = BACKGROUND[next(&mut seq) as usize % BACKGROUND.len()];
                let replied = next(&mut seq) % 10 < 8;
                all.push(DemoReview {
                    rating,
                    nps: Some((rating * 2).min(10) - (next(&mut seq) % 2) as i64),
                    title,
                    body,
                    author: ["Luca", "Giulia R.", "Paolo", "Anna M.", "Davide", "Sofia"]
                        [next(&mut seq) as usize % 6],
                    relationship: "customer",
                    days_ago: 95 + k * 270 / 140,
                    reply: replied.then(|| {
                        (
                            1 + (next(&mut seq) % 48) as i64,
                            "Grazie per averci scritto: ne terremo conto.",
                        )
                    }),
                    follow_up: None,
                });
            }
        }
        for (i, r) in all.iter().enumerate() {
            let at = now - Duration::days(r.days_ago) - Duration::hours(i as i64 % 24);
            let invited_at = at - Duration::days(2);
            // Each order lists one or two of the business's products; the reviewer rates
            // most of them, near the review's own rating.
            let listed: Vec<(&str, &str)> = match b.products.len() {
                0 => Vec::new(),
                n => {
                    let first = i % n;
                    let mut v = vec![b.products[first]];
                    if i % 3 == 0 && n > 1 {
                        v.push(b.products[(first + 1) % n]);
                    }
                    v
                }
            };
            let invitation = NewInvitation::parse(
                InvitationInput {
                    reference: &format!("DEMO-{:04}", i + 1),
                    relationship: Some(r.relationship),
                    locale: Some("it"),
                    products: listed
                        .iter()
                        .map(|&(sku, name)| ProductInput::new(sku, name))
                        .collect(),
                    ..Default::default()
                },
                invited_at,
            )
            .map_err(invalid)?;
            let id = InvitationId::generate();
            let token = key.invitation_token(id);
            store
                .create_invitation(business.id, id, invitation, token.hash(), None, invited_at)
                .await?;
            let edit_token = tokens::new_edit_token();
            let draft = ReviewDraft::parse(
                ReviewInput {
                    rating: r.rating,
                    title: r.title,
                    body: r.body,
                    nps: r.nps,
                    experience_date: Some(&(at - Duration::days(1)).date_naive().to_string()),
                    author_name: r.author,
                    language: Some("it"),
                    products: listed
                        .iter()
                        .enumerate()
                        .filter(|(k, _)| (i + k) % 4 != 3)
                        .map(|(k, &(sku, _))| ProductRatingInput {
                            sku,
                            rating: (r.rating + [0, 1, -1][(i + k) % 3]).clamp(1, 5),
                            body: (k == 0 && i % 2 == 0).then_some(PRODUCT_WORDS[i % 4]),
                        })
                        .collect(),
                },
                at,
            )
            .map_err(invalid)?;
            let review = ReviewId::generate();
            store
                .write_review(ReviewCommand::Submit {
                    invitation: token.hash(),
                    id: review,
                    draft,
                    edit_token: edit_token.hash(),
                    at,
                })
                .await?;
            if let Some((hours, text)) = r.reply {
                let reply =
                    ReplyDraft::parse(text, b.responder.0, Some(b.responder.1)).map_err(invalid)?;
                let reply_at = at + Duration::hours(hours);
                store
                    .write_review(ReviewCommand::Reply {
                        review,
                        business: business.id,
                        reply,
                        at: reply_at,
                    })
                    .await?;
                if let Some(text) = r.follow_up {
                    let body = FollowUpBody::parse(text)
                        .map_err(|e| StoreError::Config(format!("demo data: {e}")))?;
                    store
                        .write_review(ReviewCommand::FollowUp {
                            review,
                            edit_token: edit_token.hash(),
                            body,
                            at: reply_at + Duration::hours(5),
                        })
                        .await?;
                }
            }
        }
        // Not everyone invited answers: the figures show that too.
        for k in 0..all.len() / 4 {
            let invited_at = now - Duration::days(2 + (k as i64 * 7) % 360);
            let invitation = NewInvitation::parse(
                InvitationInput {
                    reference: &format!("DEMO-N{:04}", k + 1),
                    locale: Some("it"),
                    ..Default::default()
                },
                invited_at,
            )
            .map_err(invalid)?;
            let id = InvitationId::generate();
            let token = key.invitation_token(id);
            store
                .create_invitation(business.id, id, invitation, token.hash(), None, invited_at)
                .await?;
        }
        seeded.push(SeededBusiness {
            slug: b.slug,
            api_key,
        });
    }
    Ok(seeded)
}
