//! Businesses, their API keys, invitations, users and sessions.

use chrono::{Duration, Utc};
use domain::ids::InvitationId;
use domain::invitation::{Email, InvitationInput, NewInvitation, Relationship};
use domain::review::ResponderName;
use domain::secret::TokenHash;

use super::{Open, business, invite};
use crate::{NewUser, StoreError};

pub async fn businesses_and_their_keys(open: Open) {
    let fresh = open(None).await;
    let store = fresh.store.as_ref();
    let id = business(store, "bottega").await;
    let again = store
        .create_business(
            domain::business::NewBusiness::parse("bottega", "Another", None).unwrap(),
            TokenHash::of("other"),
            Utc::now(),
        )
        .await;
    assert!(matches!(again, Err(StoreError::SlugTaken)), "{again:?}");
    business(store, "osteria").await;

    let found = store.business_by_slug("bottega").await.unwrap().unwrap();
    assert_eq!((found.id, found.name.as_str()), (id, "Bottega bottega"));
    assert!(store.business_by_slug("nessuna").await.unwrap().is_none());
    let by_key = store
        .business_by_api_key(TokenHash::of("bottega-key"))
        .await
        .unwrap();
    assert_eq!(by_key.map(|b| b.id), Some(id));
    let names: Vec<_> = store
        .search_businesses("", 10)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.slug)
        .collect();
    assert_eq!(names, ["bottega", "osteria"], "all of them, by name");
    let hits = store.search_businesses("oste", 10).await.unwrap();
    assert_eq!(hits.len(), 1);

    // A second key works beside the first; a revoked one no longer does.
    store
        .add_api_key(id, TokenHash::of("second"), Utc::now())
        .await
        .unwrap();
    let keys = store.api_keys(id).await.unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().all(|k| k.revoked_at.is_none()));
    assert!(
        store
            .business_by_api_key(TokenHash::of("second"))
            .await
            .unwrap()
            .is_some()
    );
    let revoked = &keys[0].id;
    assert!(store.revoke_api_key(id, revoked, Utc::now()).await.unwrap());
    assert!(
        !store.revoke_api_key(id, revoked, Utc::now()).await.unwrap(),
        "a key is revoked once"
    );
    assert!(
        !store
            .revoke_api_key(id, "not-a-key-id", Utc::now())
            .await
            .unwrap()
    );
    let mut working = 0;
    for key in ["bottega-key", "second"] {
        if store
            .business_by_api_key(TokenHash::of(key))
            .await
            .unwrap()
            .is_some()
        {
            working += 1;
        }
    }
    assert_eq!(
        working, 1,
        "the revoked key no longer works, the other does"
    );
    let live = store.api_keys(id).await.unwrap();
    assert_eq!(live.iter().filter(|k| k.revoked_at.is_none()).count(), 1);

    // Rotation revokes every key and installs one.
    let slug = domain::business::Slug::parse("bottega").unwrap();
    store
        .replace_api_keys(&slug, TokenHash::of("rotated"), Utc::now())
        .await
        .unwrap();
    for old in ["bottega-key", "second"] {
        assert!(
            store
                .business_by_api_key(TokenHash::of(old))
                .await
                .unwrap()
                .is_none(),
            "{old} still works after rotation"
        );
    }
    assert!(
        store
            .business_by_api_key(TokenHash::of("rotated"))
            .await
            .unwrap()
            .is_some()
    );
    let unknown = domain::business::Slug::parse("nessuna").unwrap();
    let err = store
        .replace_api_keys(&unknown, TokenHash::of("x"), Utc::now())
        .await;
    assert!(matches!(err, Err(StoreError::NotFound(_))), "{err:?}");
}

pub async fn invitations_are_idempotent_per_reference(open: Open) {
    let fresh = open(None).await;
    let store = fresh.store.as_ref();
    let b = business(store, "bottega").await;
    let other = business(store, "osteria").await;
    let now = Utc::now();
    let new = || {
        NewInvitation::parse(
            InvitationInput {
                reference: "ORD-1",
                relationship: Some("supplier"),
                products: vec![domain::invitation::ProductInput::new(
                    "SKU-1",
                    "Tagliatelle",
                )],
                ..Default::default()
            },
            now,
        )
        .unwrap()
    };
    let first = store
        .create_invitation(
            b,
            InvitationId::generate(),
            new(),
            TokenHash::of("t1"),
            None,
            now,
        )
        .await
        .unwrap();
    assert!(first.created);
    let again = store
        .create_invitation(
            b,
            InvitationId::generate(),
            new(),
            TokenHash::of("t2"),
            None,
            now,
        )
        .await
        .unwrap();
    assert!(!again.created, "the same reference is the same invitation");
    assert_eq!(again.invitation.id, first.invitation.id);
    // Another business may use the same reference.
    let theirs = store
        .create_invitation(
            other,
            InvitationId::generate(),
            new(),
            TokenHash::of("t3"),
            None,
            now,
        )
        .await
        .unwrap();
    assert!(theirs.created);

    let found = store
        .invitation_by_token(TokenHash::of("t1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, first.invitation.id);
    assert_eq!(found.relationship, Relationship::Supplier);
    assert_eq!(found.business_slug, "bottega");
    assert_eq!(found.products.len(), 1);
    assert_eq!(found.products[0].name, "Tagliatelle");
    assert!(found.used_at.is_none());
    assert!(
        store
            .invitation_by_token(TokenHash::of("t2"))
            .await
            .unwrap()
            .is_none(),
        "the second token was never stored"
    );

    invite(
        store,
        b,
        "ORD-2",
        "customer",
        &[],
        now + Duration::seconds(1),
    )
    .await;
    let latest = store.latest_invitations(b, 10).await.unwrap();
    let refs: Vec<_> = latest.iter().map(|i| i.reference.as_str()).collect();
    assert_eq!(refs, ["ORD-2", "ORD-1"], "newest first, this business only");
    assert_eq!(store.latest_invitations(b, 1).await.unwrap().len(), 1);
}

pub async fn users_and_sessions(open: Open) {
    let fresh = open(None).await;
    let store = fresh.store.as_ref();
    let b = business(store, "bottega").await;
    let new = |email: &str| NewUser {
        business_slug: "bottega".into(),
        email: Email::parse(email).unwrap(),
        name: ResponderName::parse("Giulia Zanetti").unwrap(),
        role: None,
    };
    let now = Utc::now();
    let user = store
        .create_user(new("giulia@example.it"), "$argon2id$hash".into(), now)
        .await
        .unwrap();
    assert_eq!(user.business.id, b);
    let taken = store
        .create_user(new("GIULIA@example.it"), "x".into(), now)
        .await;
    assert!(matches!(taken, Err(StoreError::EmailTaken)), "{taken:?}");
    let nobody = NewUser {
        business_slug: "nessuna".into(),
        ..new("luca@example.it")
    };
    let err = store.create_user(nobody, "x".into(), now).await;
    assert!(matches!(err, Err(StoreError::NotFound(_))), "{err:?}");

    let (found, hash) = store
        .user_by_email("Giulia@Example.it")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, hash.as_str()), (user.id, "$argon2id$hash"));
    assert!(
        store
            .user_by_email("luca@example.it")
            .await
            .unwrap()
            .is_none()
    );

    let token = TokenHash::of("session");
    store
        .create_session(token, user.id, now, now + Duration::hours(1))
        .await
        .unwrap();
    let live = store.session_user(token, now).await.unwrap();
    assert_eq!(live.map(|u| u.id), Some(user.id));
    let later = now + Duration::hours(2);
    assert!(
        store.session_user(token, later).await.unwrap().is_none(),
        "an expired session is no session"
    );
    store.delete_session(token).await.unwrap();
    assert!(store.session_user(token, now).await.unwrap().is_none());
}

pub async fn changes_name_the_businesses_written(open: Open) {
    let fresh = open(None).await;
    let store = fresh.store.as_ref();
    let bottega = business(store, "bottega").await;
    let osteria = business(store, "osteria").await;
    let (slugs, start) = store.changes_since(None).await.unwrap();
    let slugs = slugs.slugs;
    assert!(
        slugs.is_empty(),
        "asking where the feed stands names nothing"
    );
    let (slugs, same) = store.changes_since(Some(start)).await.unwrap();
    let slugs = slugs.slugs;
    assert!(slugs.is_empty());
    assert_eq!(same, start, "no write, no move");

    let now = Utc::now();
    invite(store, osteria, "ORD-1", "customer", &[], now).await;
    let (slugs, after_invite) = store.changes_since(Some(start)).await.unwrap();
    let slugs = slugs.slugs;
    assert_eq!(slugs, ["osteria"], "an invitation changes the figures");
    let (id, edit) = super::reviewed(store, bottega, "ORD-2", 4, now).await;
    let (changed, after_review) = store.changes_since(Some(after_invite)).await.unwrap();
    let mut slugs = changed.slugs;
    slugs.sort();
    assert_eq!(
        slugs,
        ["bottega"],
        "the review and its invitation are the same business's"
    );
    store
        .write_review(crate::ReviewCommand::Erase {
            review: id,
            by: crate::Eraser::Reviewer(edit),
            at: now,
        })
        .await
        .unwrap();
    let (slugs, _) = store.changes_since(Some(after_review)).await.unwrap();
    let slugs = slugs.slugs;
    assert_eq!(slugs, ["bottega"], "an erasure is a change");
    let (changed, _) = store.changes_since(Some(start)).await.unwrap();
    assert!(
        changed.events.is_empty(),
        "this process's own writes are no other process's news"
    );
    let mut all = changed.slugs;
    all.sort();
    assert_eq!(all, ["bottega", "osteria"]);
}

/// The health probe commits through the write path, again and again, and the writer runs.
pub async fn the_health_probe_writes(open: Open) {
    let fresh = open(Some(super::signer())).await;
    let store = fresh.store.as_ref();
    assert!(store.writer_running());
    store.probe_write(Utc::now()).await.unwrap();
    store.probe_write(Utc::now()).await.unwrap();
    assert!(store.writer_running());
}

/// People leave: a disabled user cannot log in and their sessions end at once; a new
/// password ends the old sessions; "sign out everywhere" ends them all; enabling lets the
/// user in again. Each business lists only its own users.
pub async fn people_leave(open: Open) {
    let fresh = open(Some(super::signer())).await;
    let store = fresh.store.as_ref();
    let b = business(store, "bottega").await;
    let other = business(store, "altra").await;
    let new = |slug: &str, email: &str| NewUser {
        business_slug: slug.into(),
        email: Email::parse(email).unwrap(),
        name: ResponderName::parse("Giulia Zanetti").unwrap(),
        role: None,
    };
    let now = Utc::now();
    let giulia = store
        .create_user(new("bottega", "giulia@example.it"), "h1".into(), now)
        .await
        .unwrap();
    let marco = store
        .create_user(new("bottega", "marco@example.it"), "h2".into(), now)
        .await
        .unwrap();
    store
        .create_user(new("altra", "anna@example.it"), "h3".into(), now)
        .await
        .unwrap();
    let listed = store.users(b).await.unwrap();
    let ids: Vec<_> = listed.iter().map(|e| e.user.id).collect();
    assert_eq!(ids, [giulia.id, marco.id]);
    assert!(listed.iter().all(|e| e.disabled_at.is_none()));
    assert_eq!(store.users(other).await.unwrap().len(), 1);

    let session = |n: &str| TokenHash::of(n);
    let later = now + Duration::hours(1);
    for n in ["a", "b"] {
        store
            .create_session(session(n), marco.id, now, later)
            .await
            .unwrap();
    }
    store
        .create_session(session("g"), giulia.id, now, later)
        .await
        .unwrap();

    // Disabled: no log-in, no session, but still listed and found, with the date.
    assert!(store.set_user_disabled(marco.id, true, now).await.unwrap());
    assert!(
        store
            .user_by_email("marco@example.it")
            .await
            .unwrap()
            .is_none()
    );
    for n in ["a", "b"] {
        assert!(store.session_user(session(n), now).await.unwrap().is_none());
    }
    let found = store.find_user("MARCO@example.it").await.unwrap().unwrap();
    assert_eq!(found.user.id, marco.id);
    assert!(found.disabled_at.is_some());
    assert!(
        store
            .session_user(session("g"), now)
            .await
            .unwrap()
            .is_some()
    );
    // Enabled again: logs in with the same password; the old sessions stay ended.
    assert!(store.set_user_disabled(marco.id, false, now).await.unwrap());
    let (back, hash) = store
        .user_by_email("marco@example.it")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((back.id, hash.as_str()), (marco.id, "h2"));
    assert!(
        store
            .session_user(session("a"), now)
            .await
            .unwrap()
            .is_none()
    );

    // A new password ends the sessions; so does signing out everywhere.
    assert!(store.set_password(giulia.id, "h4".into()).await.unwrap());
    assert!(
        store
            .session_user(session("g"), now)
            .await
            .unwrap()
            .is_none()
    );
    let (_, hash) = store
        .user_by_email("giulia@example.it")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hash, "h4");
    for n in ["c", "d"] {
        store
            .create_session(session(n), giulia.id, now, later)
            .await
            .unwrap();
    }
    assert_eq!(store.end_sessions(giulia.id).await.unwrap(), 2);
    assert!(
        store
            .session_user(session("c"), now)
            .await
            .unwrap()
            .is_none()
    );

    // Nobody: false, never an error.
    let nobody = uuid::Uuid::now_v7();
    assert!(!store.set_user_disabled(nobody, true, now).await.unwrap());
    assert!(!store.set_password(nobody, "x".into()).await.unwrap());
    assert_eq!(store.end_sessions(nobody).await.unwrap(), 0);
    assert!(
        store
            .find_user("nobody@example.it")
            .await
            .unwrap()
            .is_none()
    );
}
