//! Given events, when a command, then events or an error: the User and EmailClaim aggregates.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use chrono::{Duration, TimeZone as _, Utc};
use event_schemas::identity::{EmailClaimEvent, UserEvent};
use identity::domain::{
    ABANDONED_AFTER_SECS, EmailClaim, EmailClaimCommand, EmailClaimError, NewUser, Role, User,
    UserCommand, UserError,
};
use shared_kernel::ids::UserId;
use shared_kernel::{Aggregate, Timestamp};

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";

fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()
}

fn new_user(id: UserId) -> NewUser {
    NewUser {
        user_id: id,
        email: "  Ada@Example.ORG ".into(),
        display_name: " Ada ".into(),
        password_hash: HASH.into(),
    }
}

fn registered(id: UserId) -> User {
    let events = User::default()
        .decide(UserCommand::Register(new_user(id)), now())
        .unwrap();
    User::replay(&events)
}

#[test]
fn registration_records_the_user_and_the_hash_separately() {
    let id = UserId::new();
    let events = User::default()
        .decide(UserCommand::Register(new_user(id)), now())
        .unwrap();
    let [UserEvent::Registered(r), UserEvent::PasswordSet(p)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(r.email, "ada@example.org");
    assert_eq!(r.display_name, "Ada");
    assert_eq!(p.password_hash, HASH);
    let user = User::replay(&events);
    assert!(user.registered);
    assert!(
        !format!("{user:?}").contains("argon2"),
        "no hash in debug output"
    );
    // A redelivery is a no-op; a different user on the same stream is refused.
    assert!(
        user.decide(UserCommand::Register(new_user(id)), now())
            .unwrap()
            .is_empty()
    );
    let mut other = new_user(id);
    other.email = "eve@example.org".into();
    assert_eq!(
        user.decide(UserCommand::Register(other), now()),
        Err(UserError::AlreadyRegistered)
    );
}

#[test]
fn bad_input_and_clear_text_passwords_are_refused() {
    for (email, name, hash) in [
        ("not-an-address", "Ada", HASH),
        ("a@b", "Ada", HASH),
        ("ada@example.org", "   ", HASH),
        ("ada@example.org", "Ada", "hunter22"),
    ] {
        let cmd = UserCommand::Register(NewUser {
            user_id: UserId::new(),
            email: email.into(),
            display_name: name.into(),
            password_hash: hash.into(),
        });
        assert!(matches!(
            User::default().decide(cmd, now()),
            Err(UserError::Invalid(_))
        ));
    }
}

#[test]
fn only_the_user_changes_their_profile_and_password() {
    let id = UserId::new();
    let user = registered(id);
    let stranger = UserId::new();
    assert_eq!(
        user.decide(
            UserCommand::UpdateProfile {
                actor: stranger,
                display_name: "Eve".into()
            },
            now()
        ),
        Err(UserError::NotFound)
    );
    let events = user
        .decide(
            UserCommand::UpdateProfile {
                actor: id,
                display_name: "Ada L.".into(),
            },
            now(),
        )
        .unwrap();
    assert_eq!(User::replay(&events).display_name, "Ada L.");
    assert!(
        user.decide(
            UserCommand::SetPassword {
                actor: stranger,
                password_hash: HASH.into()
            },
            now()
        )
        .is_err()
    );
    assert!(
        user.decide(
            UserCommand::SetPassword {
                actor: id,
                password_hash: HASH.into()
            },
            now()
        )
        .is_ok()
    );
}

#[test]
fn roles_are_granted_once_and_revoked_with_scopes() {
    let id = UserId::new();
    let mut user = registered(id);
    let moderator = Role::parse("moderator", Some("chess")).unwrap();
    for e in user
        .decide(
            UserCommand::GrantRole {
                role: moderator.clone(),
                by: None,
            },
            now(),
        )
        .unwrap()
    {
        user = user.evolve(&e);
    }
    assert_eq!(user.role_claims(), vec!["moderator:chess".to_owned()]);
    assert!(
        user.decide(
            UserCommand::GrantRole {
                role: moderator.clone(),
                by: None
            },
            now()
        )
        .unwrap()
        .is_empty()
    );
    let go = Role::parse("moderator", Some("go")).unwrap();
    assert!(
        user.decide(UserCommand::RevokeRole { role: go, by: None }, now())
            .unwrap()
            .is_empty()
    );
    for e in user
        .decide(
            UserCommand::RevokeRole {
                role: moderator,
                by: None,
            },
            now(),
        )
        .unwrap()
    {
        user = user.evolve(&e);
    }
    assert!(user.roles.is_empty());
    assert!(Role::parse("moderator", None).is_err());
    assert!(Role::parse("admin", Some("x")).is_err());
    assert!(Role::parse("root", None).is_err());
    assert!(
        User::default()
            .decide(
                UserCommand::GrantRole {
                    role: Role::Admin,
                    by: None
                },
                now()
            )
            .is_err()
    );
}

#[test]
fn an_address_is_claimed_once_and_an_abandoned_claim_can_be_taken_over() {
    let (a, b) = (UserId::new(), UserId::new());
    let claim = EmailClaim::replay(
        &EmailClaim::default()
            .decide(
                EmailClaimCommand::Claim {
                    user_id: a,
                    abandoned_by: None,
                },
                now(),
            )
            .unwrap(),
    );
    assert_eq!(claim.holder.map(|h| h.0), Some(a));
    // The same user again: nothing to do. Someone else: taken.
    assert!(
        claim
            .decide(
                EmailClaimCommand::Claim {
                    user_id: a,
                    abandoned_by: None
                },
                now()
            )
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        claim.decide(
            EmailClaimCommand::Claim {
                user_id: b,
                abandoned_by: None
            },
            now()
        ),
        Err(EmailClaimError::Taken)
    );
    // Abandoned, but too recent (a registration may still be on its way): taken.
    let soon = now() + Duration::seconds(ABANDONED_AFTER_SECS - 1);
    assert_eq!(
        claim.decide(
            EmailClaimCommand::Claim {
                user_id: b,
                abandoned_by: Some(a)
            },
            soon
        ),
        Err(EmailClaimError::Taken)
    );
    let later = now() + Duration::seconds(ABANDONED_AFTER_SECS);
    let events = claim
        .decide(
            EmailClaimCommand::Claim {
                user_id: b,
                abandoned_by: Some(a),
            },
            later,
        )
        .unwrap();
    assert!(matches!(
        events.as_slice(),
        [EmailClaimEvent::Released(_), EmailClaimEvent::Claimed(_)]
    ));
    let claim = events.iter().fold(claim, EmailClaim::evolve);
    assert_eq!(claim.holder.map(|h| h.0), Some(b));
    // Releasing someone else's claim does nothing; one's own frees the address.
    assert!(
        claim
            .decide(
                EmailClaimCommand::Release {
                    user_id: a,
                    reason: "x".into()
                },
                later
            )
            .unwrap()
            .is_empty()
    );
    let released = claim
        .decide(
            EmailClaimCommand::Release {
                user_id: b,
                reason: "x".into(),
            },
            later,
        )
        .unwrap();
    assert_eq!(released.iter().fold(claim, EmailClaim::evolve).holder, None);
}

#[test]
fn a_password_change_ends_every_session_and_a_sign_out_ends_one_token() {
    let id = UserId::new();
    let user = registered(id);
    let events = user
        .decide(
            UserCommand::SetPassword {
                actor: id,
                password_hash: HASH.into(),
            },
            now(),
        )
        .unwrap();
    assert!(
        matches!(
            events.as_slice(),
            [UserEvent::PasswordSet(_), UserEvent::SessionsRevoked(r)]
                if r.user_id == id && r.reason == identity::domain::PASSWORD_CHANGED
        ),
        "{events:?}"
    );

    let sign_out = |actor, token_id: &str| UserCommand::SignOut {
        actor,
        token_id: token_id.to_owned(),
        expires_at: now(),
    };
    let events = user.decide(sign_out(id, "jti-1"), now()).unwrap();
    assert!(
        matches!(events.as_slice(), [UserEvent::SignedOut(s)] if s.token_id == "jti-1"),
        "{events:?}"
    );
    // Only the user signs their own tokens out; a token id is a short text.
    assert_eq!(
        user.decide(sign_out(UserId::new(), "jti-1"), now()),
        Err(UserError::NotFound)
    );
    assert!(user.decide(sign_out(id, ""), now()).is_err());
    assert!(user.decide(sign_out(id, &"x".repeat(65)), now()).is_err());
    // Neither changes the account itself.
    let after = events.iter().fold(user.clone(), |u, e| u.evolve(e));
    assert_eq!(after, user);
}
