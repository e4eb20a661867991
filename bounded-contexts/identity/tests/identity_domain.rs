//! Given events, when a command, then events or an error: the User and EmailClaim aggregates.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use chrono::Duration;
use event_schemas::identity::{EmailClaimEvent, UserEvent};
use identity::domain::{
    ABANDONED_AFTER_SECS, EmailClaim, EmailClaimCommand, EmailClaimError, NewUser, Role, User,
    UserCommand, UserError,
};
use shared_kernel::ids::UserId;
use shared_kernel::testing::{Given, given, now};

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";

fn new_user(id: UserId) -> NewUser {
    NewUser {
        user_id: id,
        email: "  Ada@Example.ORG ".into(),
        display_name: " Ada ".into(),
        password_hash: HASH.into(),
    }
}

fn registered(id: UserId) -> Given<User> {
    let mut user = given(&[]);
    user.and(UserCommand::Register(new_user(id)));
    user
}

#[test]
fn registration_records_the_user_and_the_hash_separately() {
    let id = UserId::new();
    let mut user = given::<User>(&[]);
    let events = user.and(UserCommand::Register(new_user(id)));
    let [UserEvent::Registered(r), UserEvent::PasswordSet(p)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(r.email, "ada@example.org");
    assert_eq!(r.display_name, "Ada");
    assert_eq!(p.password_hash, HASH);
    assert!(user.state().registered);
    assert!(
        !format!("{:?}", user.state()).contains("argon2"),
        "no hash in debug output"
    );
    // A redelivery is a no-op; a different user on the same stream is refused.
    user.when(UserCommand::Register(new_user(id)))
        .then_nothing();
    let mut other = new_user(id);
    other.email = "eve@example.org".into();
    user.when(UserCommand::Register(other))
        .then_rejects(UserError::AlreadyRegistered);
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
            given::<User>(&[]).when(cmd).error(),
            UserError::Invalid(_)
        ));
    }
}

#[test]
fn only_the_user_changes_their_profile_and_password() {
    let id = UserId::new();
    let user = registered(id);
    let stranger = UserId::new();
    user.when(UserCommand::UpdateProfile {
        actor: stranger,
        display_name: "Eve".into(),
    })
    .then_rejects(UserError::NotFound);
    let renamed = user
        .when(UserCommand::UpdateProfile {
            actor: id,
            display_name: "Ada L.".into(),
        })
        .state();
    assert_eq!(renamed.display_name, "Ada L.");
    assert!(
        user.when(UserCommand::SetPassword {
            actor: stranger,
            password_hash: HASH.into()
        })
        .into_result()
        .is_err()
    );
    user.when(UserCommand::SetPassword {
        actor: id,
        password_hash: HASH.into(),
    })
    .then_accepts();
}

#[test]
fn roles_are_granted_once_and_revoked_with_scopes() {
    let id = UserId::new();
    let mut user = registered(id);
    let moderator = Role::parse("moderator", Some("chess")).unwrap();
    user.and(UserCommand::GrantRole {
        role: moderator.clone(),
        by: None,
    });
    assert_eq!(
        user.state().role_claims(),
        vec!["moderator:chess".to_owned()]
    );
    user.when(UserCommand::GrantRole {
        role: moderator.clone(),
        by: None,
    })
    .then_nothing();
    let go = Role::parse("moderator", Some("go")).unwrap();
    user.when(UserCommand::RevokeRole { role: go, by: None })
        .then_nothing();
    user.and(UserCommand::RevokeRole {
        role: moderator,
        by: None,
    });
    assert!(user.state().roles.is_empty());
    assert!(Role::parse("moderator", None).is_err());
    assert!(Role::parse("admin", Some("x")).is_err());
    assert!(Role::parse("root", None).is_err());
    assert!(
        given::<User>(&[])
            .when(UserCommand::GrantRole {
                role: Role::Admin,
                by: None
            })
            .into_result()
            .is_err()
    );
}

#[test]
fn an_address_is_claimed_once_and_an_abandoned_claim_can_be_taken_over() {
    let (a, b) = (UserId::new(), UserId::new());
    let claim = |user_id, abandoned_by| EmailClaimCommand::Claim {
        user_id,
        abandoned_by,
    };
    let mut address = given::<EmailClaim>(&[]);
    address.and(claim(a, None));
    assert_eq!(address.state().holder.map(|h| h.0), Some(a));
    // The same user again: nothing to do. Someone else: taken.
    address.when(claim(a, None)).then_nothing();
    address
        .when(claim(b, None))
        .then_rejects(EmailClaimError::Taken);
    // Abandoned, but too recent (a registration may still be on its way): taken.
    let soon = now() + Duration::seconds(ABANDONED_AFTER_SECS - 1);
    address
        .clone()
        .at(soon)
        .when(claim(b, Some(a)))
        .then_rejects(EmailClaimError::Taken);
    let mut address = address.at(now() + Duration::seconds(ABANDONED_AFTER_SECS));
    let events = address.and(claim(b, Some(a)));
    assert!(matches!(
        events.as_slice(),
        [EmailClaimEvent::Released(_), EmailClaimEvent::Claimed(_)]
    ));
    assert_eq!(address.state().holder.map(|h| h.0), Some(b));
    // Releasing someone else's claim does nothing; one's own frees the address.
    let release = |user_id| EmailClaimCommand::Release {
        user_id,
        reason: "x".into(),
    };
    address.when(release(a)).then_nothing();
    assert_eq!(address.when(release(b)).state().holder, None);
}

#[test]
fn a_password_change_ends_every_session_and_a_sign_out_ends_one_token() {
    let id = UserId::new();
    let user = registered(id);
    let password_set = user.when(UserCommand::SetPassword {
        actor: id,
        password_hash: HASH.into(),
    });
    let events = password_set.events();
    assert!(
        matches!(
            events,
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
    let signed_out = user.when(sign_out(id, "jti-1"));
    let events = signed_out.events();
    assert!(
        matches!(events, [UserEvent::SignedOut(s)] if s.token_id == "jti-1"),
        "{events:?}"
    );
    // Only the user signs their own tokens out; a token id is a short text.
    user.when(sign_out(UserId::new(), "jti-1"))
        .then_rejects(UserError::NotFound);
    assert!(user.when(sign_out(id, "")).into_result().is_err());
    assert!(
        user.when(sign_out(id, &"x".repeat(65)))
            .into_result()
            .is_err()
    );
    // Neither changes the account itself.
    assert_eq!(signed_out.state(), user.state());
}
