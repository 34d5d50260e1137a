//! The tests of [`super`]: the invitation in both locales, escaping, the hash, the catalogues.

use super::*;
use chrono::TimeZone;
use std::collections::BTreeSet;

fn products() -> Vec<ProductRecord> {
    vec![
        ProductRecord::named("CAF-1", "Caffè in grani 1 kg"),
        ProductRecord::named("MOKA-3", "Moka 3 tazze"),
    ]
}

fn mail(locale: Locale, products: &[ProductRecord]) -> InvitationMail<'_> {
    InvitationMail {
        locale,
        business_name: "Torrefazione Gino",
        customer_name: Some("Maria"),
        reference: "A-1042",
        products,
        review_link: "https://passaparola.example/r/abc123?x=1&y=2",
        unsubscribe_link: "https://passaparola.example/unsubscribe/u456",
        invitations_page: "https://passaparola.example/b/torrefazione-gino/invitations",
        expires_at: Utc.with_ymd_and_hms(2027, 3, 7, 10, 0, 0).unwrap(),
        reminder: false,
        template: None,
    }
}

/// No lookup fell back to an error string and no placeable was left unresolved.
fn assert_complete(r: &Rendered) {
    for part in [&r.subject, &r.text, &r.html] {
        assert!(!part.contains("Unknown localization key"), "{part}");
        assert!(!part.contains('{') && !part.contains('}'), "{part}");
    }
}

#[test]
fn both_locales_render_in_their_language() {
    let products = products();
    let it = render(&mail(Locale::It, &products));
    assert_eq!(
        it.subject,
        "Com'è andata con Torrefazione Gino? Ordine A-1042"
    );
    assert!(
        it.text
            .starts_with("Buongiorno Maria,\n\nTorrefazione Gino ti invita")
    );
    assert!(it.text.contains("qualunque cosa dica"));
    assert!(it.html.contains("<html lang=\"it\">"));
    assert!(it.html.contains(">Scrivi la recensione</a>"));
    assert_complete(&it);

    let en = render(&mail(Locale::En, &products));
    assert_eq!(
        en.subject,
        "How did it go with Torrefazione Gino? Order A-1042"
    );
    assert!(
        en.text
            .starts_with("Hello Maria,\n\nTorrefazione Gino invites you")
    );
    assert!(en.text.contains("whatever it says"));
    assert!(en.html.contains("<html lang=\"en\">"));
    assert!(en.html.contains(">Write your review</a>"));
    assert_complete(&en);
}

#[test]
fn the_message_is_neutral() {
    for locale in [Locale::It, Locale::En] {
        // "Positive or negative" is the one allowed mention of a verdict.
        let words = MESSAGES
            .iter()
            .filter_map(|id| entry(source(locale), id))
            .collect::<Vec<_>>()
            .join("\n")
            .to_lowercase()
            .replace("positiva o negativa", "")
            .replace("positive or negative", "");
        for word in [
            "stell",
            "star",
            "★",
            "voto",
            "rating",
            "positiv",
            "soddisf",
            "satisf",
            "consigli",
            "recommend",
        ] {
            assert!(!words.contains(word), "{word} in {locale:?}");
        }
    }
}

#[test]
fn without_a_name_the_greeting_is_neutral() {
    for name in [None, Some(""), Some("  ")] {
        let it = render(&InvitationMail {
            customer_name: name,
            ..mail(Locale::It, &[])
        });
        assert!(it.text.starts_with("Buongiorno,\n\n"), "{}", it.text);
        let en = render(&InvitationMail {
            customer_name: name,
            ..mail(Locale::En, &[])
        });
        assert!(en.text.starts_with("Hello,\n\n"), "{}", en.text);
    }
}

#[test]
fn user_text_is_escaped_in_html_and_unchanged_in_text() {
    let business = "Gino & <script>alert(\"x\")</script>'s";
    let products = [ProductRecord::named("X", "<img src=x onerror=alert(1)>")];
    for locale in [Locale::It, Locale::En] {
        let r = render(&InvitationMail {
            business_name: business,
            customer_name: Some("<b>Ann</b>"),
            reference: "R<1>&\"2\"",
            ..mail(locale, &products)
        });
        assert!(!r.html.contains("<script"), "{}", r.html);
        assert!(!r.html.contains("<img"));
        assert!(!r.html.contains("<b>"));
        assert!(!r.html.contains("R<1>"));
        assert!(
            r.html
                .contains("Gino &amp; &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;s")
        );
        assert!(
            r.html
                .contains("<li>&lt;img src=x onerror=alert(1)&gt;</li>")
        );
        assert!(r.html.contains("&lt;b&gt;Ann&lt;/b&gt;"));
        assert!(r.html.contains("R&lt;1&gt;&amp;&quot;2&quot;"));
        // The links' query strings are escaped in attributes too.
        assert!(
            r.html
                .contains("href=\"https://passaparola.example/r/abc123?x=1&amp;y=2\"")
        );

        assert!(r.text.contains(business));
        assert!(r.text.contains("- <img src=x onerror=alert(1)>"));
        assert!(r.text.contains("<b>Ann</b>"));
        assert!(r.text.contains("R<1>&\"2\""));
        assert!(r.subject.contains(business));
        assert!(
            r.text
                .contains("https://passaparola.example/r/abc123?x=1&y=2")
        );
    }
}

#[test]
fn the_text_part_has_no_markup_and_every_link() {
    let products = products();
    for locale in [Locale::It, Locale::En] {
        let m = mail(locale, &products);
        let r = render(&m);
        for bad in ['<', '>', '&'] {
            let without_links = r.text.replace(m.review_link, "");
            assert!(!without_links.contains(bad), "{bad} in {}", r.text);
        }
        for link in [m.review_link, m.unsubscribe_link, m.invitations_page] {
            assert!(r.text.lines().any(|l| l == link), "{link}");
            assert!(r.html.contains(&escape(link)), "{link}");
        }
        // The review link is both a button and visible text.
        assert_eq!(r.html.matches(&escape(m.review_link)).count(), 3);
    }
}

#[test]
fn the_subject_has_no_line_breaks() {
    let r = render(&InvitationMail {
        business_name: "Evil\r\nBcc: victim@example.com",
        reference: "1\n\r2\u{2028}3\t4",
        ..mail(Locale::En, &[])
    });
    assert!(!r.subject.contains(['\r', '\n', '\u{2028}', '\t']));
    assert_eq!(
        r.subject,
        "How did it go with Evil Bcc: victim@example.com? Order 1 2 3 4"
    );
}

#[test]
fn no_products_means_no_list() {
    let products = products();
    for (locale, label) in [(Locale::It, "Nell'ordine:"), (Locale::En, "In this order:")] {
        let none = render(&mail(locale, &[]));
        assert!(!none.text.contains(label));
        assert!(!none.text.contains("\n- "));
        assert!(!none.html.contains("<ul") && !none.html.contains("<li"));
        assert_complete(&none);

        let some = render(&mail(locale, &products));
        assert!(some.text.contains(&format!(
            "{label}\n- Caffè in grani 1 kg\n- Moka 3 tazze\n\n"
        )));
        assert_eq!(some.html.matches("<li>").count(), 2);
    }
}

#[test]
fn the_reminder_differs_in_subject_and_first_line_only() {
    let products = products();
    for locale in [Locale::It, Locale::En] {
        let first = render(&mail(locale, &products));
        let reminder = render(&InvitationMail {
            reminder: true,
            ..mail(locale, &products)
        });
        assert_ne!(first.subject, reminder.subject);
        assert!(reminder.subject.ends_with(&first.subject[1..]));
        assert_complete(&reminder);
        let (a, b): (Vec<_>, Vec<_>) = (
            first.text.lines().collect(),
            reminder.text.lines().collect(),
        );
        assert_eq!(a.len(), b.len());
        let differing: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
        assert_eq!(differing, [2], "{}", reminder.text);
    }
}

#[test]
fn the_expiry_date_follows_the_locale() {
    let it = render(&mail(Locale::It, &[]));
    assert!(it.text.contains("scade il 7 marzo 2027."), "{}", it.text);
    assert!(it.html.contains("7 marzo 2027"));
    let en = render(&mail(Locale::En, &[]));
    assert!(en.text.contains("expires on 7 March 2027."), "{}", en.text);

    let names = |locale| -> BTreeSet<String> {
        (1..=12)
            .map(|m| Tr(locale).date(Utc.with_ymd_and_hms(2027, m, 1, 0, 0, 0).unwrap()))
            .collect()
    };
    assert_eq!(names(Locale::It).len(), 12);
    assert!(names(Locale::It).contains("1 dicembre 2027"));
    assert!(names(Locale::En).contains("1 August 2027"));
}

#[test]
fn the_template_hash_is_stable_and_differs_per_locale() {
    let (it, en) = (template_hash(Locale::It), template_hash(Locale::En));
    assert_eq!(it, template_hash(Locale::It));
    assert_eq!(en, template_hash(Locale::En));
    assert_ne!(it, en);
    for h in [&it, &en] {
        assert_eq!(h.len(), 64);
        assert!(
            h.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
    }
}

#[test]
fn every_message_exists_in_both_catalogues() {
    let value = |s: &str| FluentValue::from(s.to_owned());
    let args: HashMap<Cow<'static, str>, FluentValue<'_>> = [
        ("business", value("B")),
        ("reference", value("R")),
        ("name", value("N")),
        ("date", value("D")),
        ("day", value("1")),
        ("month", value("M")),
        ("year", value("2027")),
        ("subject", value("S")),
    ]
    .into_iter()
    .map(|(k, v)| (Cow::Borrowed(k), v))
    .collect();
    let wanted: BTreeSet<&str> = MESSAGES.iter().copied().collect();
    assert_eq!(wanted.len(), MESSAGES.len(), "duplicates in MESSAGES");
    for locale in [Locale::It, Locale::En] {
        let lang = Tr(locale).langid();
        for id in MESSAGES {
            // No fallback to another language, and no unresolved argument or reference.
            let got = LOCALES.lookup_single_language(lang, id, Some(&args));
            assert!(got.is_ok(), "{id} in {locale:?}: {got:?}");
            assert!(entry(source(locale), id).is_some(), "{id} in {locale:?}");
        }
        // And the catalogue holds nothing else, so the hash covers all of it.
        let defined: BTreeSet<&str> = source(locale)
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id))
            .collect();
        assert_eq!(defined, wanted, "{locale:?}");
    }
}

#[test]
fn a_message_entry_includes_its_continuation_lines() {
    let src = "a = one\nab = two\n    still two\n}\nc = three\n";
    assert_eq!(entry(src, "a").as_deref(), Some("a = one"));
    assert_eq!(
        entry(src, "ab").as_deref(),
        Some("ab = two\n    still two\n}")
    );
    assert_eq!(entry(src, "b"), None);
}

#[test]
fn escape_covers_the_five_characters() {
    assert_eq!(
        escape(r#"<a href="x">&'</a>"#),
        "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
    );
    assert_eq!(escape("Caffè ☕"), "Caffè ☕");
}

#[test]
fn a_business_template_changes_the_subject_and_opening_only() {
    let products = products();
    let template = domain::template::InvitationTemplate::parse(
        Locale::En,
        "Your order {reference} from {business}",
        "Thank you for choosing <b>{business}</b>!\nTell us & everyone how it went.",
    )
    .unwrap();
    let default = render(&mail(Locale::En, &products));
    let custom = render(&InvitationMail {
        template: Some(&template),
        ..mail(Locale::En, &products)
    });
    assert_complete(&custom);
    assert_eq!(custom.subject, "Your order A-1042 from Torrefazione Gino");
    assert!(
        custom
            .text
            .contains("Thank you for choosing <b>Torrefazione Gino</b>!\n")
    );
    // Escaped in the HTML like every other value.
    assert!(
        custom
            .html
            .contains("Thank you for choosing &lt;b&gt;Torrefazione Gino&lt;/b&gt;!")
    );
    assert!(!custom.html.contains("<b>Torrefazione"));
    // What makes the invitation fair is not the business's to change.
    let fixed = |r: &Rendered| -> Vec<String> {
        r.text
            .lines()
            .skip_while(|l| !l.contains("published"))
            .map(str::to_owned)
            .collect()
    };
    assert!(!fixed(&default).is_empty());
    assert_eq!(fixed(&custom), fixed(&default));
    // The one reminder says so, before the business's words.
    let reminder = render(&InvitationMail {
        template: Some(&template),
        reminder: true,
        ..mail(Locale::En, &products)
    });
    assert_eq!(
        reminder.subject,
        "Reminder: Your order A-1042 from Torrefazione Gino"
    );
    assert!(
        reminder
            .text
            .contains("This is the only reminder; you will not receive another.\nThank you"),
        "{}",
        reminder.text
    );
}
