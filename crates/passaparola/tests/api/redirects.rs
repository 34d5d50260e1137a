//! Every redirect whose target a request names (`?next=` of the language switch and of the
//! log-in) stays on this site, whatever a browser would make of the target.

use crate::helpers::TestApp;

/// Targets a browser would take to another site (as sent in a query, percent-encoded).
const ELSEWHERE: &[&str] = &[
    "/%09/evil.example", // a tab: browsers drop it, leaving //evil.example
    "/%0A/evil.example", // a new line, likewise
    "/%0D%0A/evil.example",
    "%2F%2Fevil.example", // //evil.example
    "/%5Cevil.example",   // a backslash: browsers read /\ as //
    "%5C%5Cevil.example",
    "https://evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "%20//evil.example",
    "/%E2%80%A8/evil.example",
    "evil.example",
];

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_language_switch_goes_back_only_to_this_site() {
    let app = TestApp::spawn().await;
    let client = no_redirects();
    for next in ELSEWHERE {
        let resp = client
            .get(format!("{}/lang/en?next={next}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 303, "{next}");
        assert_eq!(location(&resp), "/", "next={next}");
    }
    let resp = client
        .get(format!(
            "{}/lang/en?next=%2Fb%2Ftrattoria-test%3Fsort%3Dlowest",
            app.address
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&resp), "/b/trattoria-test?sort=lowest");
}

#[tokio::test]
async fn logging_in_goes_on_only_to_this_site() {
    let app = TestApp::spawn().await;
    let (email, password) = ("giulia@example.it", "segreta-lunga-1");
    app.create_user(email, password).await;
    let client = no_redirects();
    let log_in = |next: String| {
        let client = client.clone();
        let address = app.address.clone();
        async move {
            let body = format!("email={email}&password={password}&next={next}");
            client
                .post(format!("{address}/login"))
                .header("origin", &address)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    for next in ELSEWHERE {
        let resp = log_in((*next).to_owned()).await;
        assert_eq!(resp.status(), 303, "{next}");
        assert_eq!(location(&resp), "/inbox", "next={next}");
    }
    let resp = log_in("%2Finvitations".into()).await;
    assert_eq!(location(&resp), "/invitations");
}
