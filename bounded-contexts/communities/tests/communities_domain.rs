//! Given events, when a command, then events or an error: the communities aggregates, pure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use chrono::{Duration, TimeZone, Utc};
use communities::domain::{
    Ban, Comment, CommentCommand, CommunitiesError, Community, CommunityCommand, Membership,
    MembershipCommand, NewComment, NewCommunity, NewPost, ParentFacts, Post, PostCommand,
    PostFacts, Report, ReportCommand, Standing, Vote, VoteCommand, community_id_for,
};
use event_schemas::communities::{
    CommentEvent, CommunityEvent, ContentRef, MembershipEvent, PostEvent, ReportEvent, Visibility,
    VoteEvent,
};
use shared_kernel::ids::{CommentId, PostId, ReportId, UserId};
use shared_kernel::{Aggregate, Timestamp};

fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn when<A: Aggregate>(given: &[A::Event], command: A::Command) -> Result<Vec<A::Event>, A::Error> {
    A::replay(given).decide(command, now())
}

fn when_at<A: Aggregate>(
    given: &[A::Event],
    command: A::Command,
    at: Timestamp,
) -> Result<Vec<A::Event>, A::Error> {
    A::replay(given).decide(command, at)
}

fn then<A: Aggregate>(given: &[A::Event], command: A::Command) -> A {
    let mut all: Vec<A::Event> = Vec::new();
    let new = A::replay(given).decide(command, now()).ok().unwrap();
    let state = A::replay(given);
    all.extend(new);
    all.iter().fold(state, |s, e| s.evolve(e))
}

fn new_community(name: &str, owner: UserId, visibility: Visibility) -> NewCommunity {
    NewCommunity {
        name: name.into(),
        title: "Rust".into(),
        description: "All things Rust".into(),
        rules: vec![" Be kind ".into()],
        visibility,
        owner,
    }
}

fn community(owner: UserId, visibility: Visibility) -> Vec<CommunityEvent> {
    when::<Community>(
        &[],
        CommunityCommand::Create(new_community("rust", owner, visibility)),
    )
    .unwrap()
}

/// A standing in the `rust` community.
fn standing(user: UserId, visibility: Visibility) -> Standing {
    Standing {
        community_id: community_id_for("rust"),
        community_name: "rust".into(),
        visibility,
        user,
        is_moderator: false,
        is_member: false,
        ban: None,
    }
}

fn member(user: UserId, visibility: Visibility) -> Standing {
    Standing {
        is_member: true,
        ..standing(user, visibility)
    }
}

fn moderator(user: UserId) -> Standing {
    Standing {
        is_moderator: true,
        ..standing(user, Visibility::Public)
    }
}

fn new_post(id: PostId, standing: Standing) -> PostCommand {
    PostCommand::Create(NewPost {
        post_id: id,
        standing,
        title: " Hello ".into(),
        body: Some("First post".into()),
        url: None,
    })
}

fn post(author: UserId) -> (PostId, Vec<PostEvent>) {
    let id = PostId::new();
    let events = when::<Post>(&[], new_post(id, member(author, Visibility::Public))).unwrap();
    (id, events)
}

// ------------------------------------------------------------------ community

#[test]
fn the_creator_owns_and_moderates_a_new_community_with_a_normalized_name() {
    let owner = UserId::new();
    let events = when::<Community>(
        &[],
        CommunityCommand::Create(new_community(" Rust ", owner, Visibility::Public)),
    )
    .unwrap();
    let CommunityEvent::Created(created) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(created.name, "rust");
    assert_eq!(created.community_id, community_id_for("RUST"));
    assert_eq!(created.rules, vec!["Be kind".to_owned()]);
    assert!(matches!(&events[1], CommunityEvent::ModeratorAppointed(m) if m.user_id == owner));
    let state = Community::replay(&events);
    assert!(state.is_owner(owner) && state.is_moderator(owner));
}

#[test]
fn a_name_is_taken_once_and_must_be_valid() {
    let owner = UserId::new();
    let given = community(owner, Visibility::Public);
    assert_eq!(
        when::<Community>(
            &given,
            CommunityCommand::Create(new_community("rust", UserId::new(), Visibility::Public))
        ),
        Err(CommunitiesError::AlreadyExists("community"))
    );
    for bad in ["ab", "has space", "émoji", &"x".repeat(22), "dash-es"] {
        let err = when::<Community>(
            &[],
            CommunityCommand::Create(new_community(bad, owner, Visibility::Public)),
        )
        .unwrap_err();
        assert_eq!(err.code_and_status(), ("validation_failed", 422), "{bad}");
    }
}

#[test]
fn only_the_owner_appoints_and_removes_moderators() {
    let (owner, alice, bob) = (UserId::new(), UserId::new(), UserId::new());
    let given = community(owner, Visibility::Public);
    assert_eq!(
        when::<Community>(
            &given,
            CommunityCommand::AppointModerator {
                actor: alice,
                user: bob
            }
        ),
        Err(CommunitiesError::NotTheOwner)
    );
    let state = then::<Community>(
        &given,
        CommunityCommand::AppointModerator {
            actor: owner,
            user: alice,
        },
    );
    assert!(state.is_moderator(alice));

    let mut with_alice = given.clone();
    with_alice.extend(
        when::<Community>(
            &given,
            CommunityCommand::AppointModerator {
                actor: owner,
                user: alice,
            },
        )
        .unwrap(),
    );
    // A moderator cannot remove the owner, nor anyone else; they may step down.
    assert_eq!(
        when::<Community>(
            &with_alice,
            CommunityCommand::RemoveModerator {
                actor: alice,
                user: owner
            }
        ),
        Err(CommunitiesError::NotTheOwner)
    );
    let err = when::<Community>(
        &with_alice,
        CommunityCommand::RemoveModerator {
            actor: owner,
            user: owner,
        },
    )
    .unwrap_err();
    assert_eq!(err.code_and_status(), ("forbidden", 403));
    let stepped_down = then::<Community>(
        &with_alice,
        CommunityCommand::RemoveModerator {
            actor: alice,
            user: alice,
        },
    );
    assert!(!stepped_down.is_moderator(alice));
}

#[test]
fn only_moderators_change_settings() {
    let owner = UserId::new();
    let given = community(owner, Visibility::Public);
    let change = |actor| CommunityCommand::ChangeSettings {
        actor,
        title: None,
        description: Some("New".into()),
        rules: Some(vec!["One".into(), "Two".into()]),
        visibility: Some(Visibility::Restricted),
    };
    assert_eq!(
        when::<Community>(&given, change(UserId::new())),
        Err(CommunitiesError::NotAModerator)
    );
    let state = then::<Community>(&given, change(owner));
    assert_eq!(state.visibility, Visibility::Restricted);
    assert_eq!(state.rules, vec!["One".to_owned(), "Two".to_owned()]);
    assert_eq!(state.title, "Rust", "fields left out keep their value");
}

// ------------------------------------------------------------------ membership and bans

fn join(user: UserId, actor: UserId, visibility: Visibility, is_mod: bool) -> MembershipCommand {
    MembershipCommand::Join {
        community: community_id_for("rust"),
        visibility,
        user,
        actor,
        actor_is_moderator: is_mod,
    }
}

fn ban(user: UserId, moderator: UserId, expires_at: Option<Timestamp>) -> MembershipCommand {
    MembershipCommand::Ban {
        community: community_id_for("rust"),
        user,
        moderator,
        actor_is_moderator: true,
        target_is_moderator: false,
        reason: "spam".into(),
        expires_at,
    }
}

#[test]
fn anyone_joins_a_public_community_but_a_restricted_one_admits_through_moderators() {
    let (alice, mod_) = (UserId::new(), UserId::new());
    assert!(
        then::<Membership>(&[], join(alice, alice, Visibility::Public, false)).member,
        "self-join of a public community"
    );
    assert_eq!(
        when::<Membership>(&[], join(alice, alice, Visibility::Restricted, false)),
        Err(CommunitiesError::ApprovalRequired)
    );
    assert_eq!(
        when::<Membership>(
            &[],
            join(alice, UserId::new(), Visibility::Restricted, false)
        ),
        Err(CommunitiesError::NotAModerator),
        "a non-moderator cannot admit someone else"
    );
    let events = when::<Membership>(&[], join(alice, mod_, Visibility::Restricted, true)).unwrap();
    assert!(matches!(&events[0], MembershipEvent::Joined(j) if j.added_by == Some(mod_)));
    // Joining twice changes nothing; leaving twice neither.
    assert_eq!(
        when::<Membership>(&events, join(alice, alice, Visibility::Public, false)),
        Ok(vec![])
    );
    let leave = MembershipCommand::Leave {
        community: community_id_for("rust"),
        user: alice,
    };
    let left = when::<Membership>(&events, leave.clone()).unwrap();
    assert_eq!(left.len(), 1);
    let mut after = events.clone();
    after.extend(left);
    assert_eq!(when::<Membership>(&after, leave), Ok(vec![]));
}

#[test]
fn only_moderators_ban_and_never_a_moderator_nor_into_the_past() {
    let (alice, mod_) = (UserId::new(), UserId::new());
    let not_mod = MembershipCommand::Ban {
        community: community_id_for("rust"),
        user: alice,
        moderator: UserId::new(),
        actor_is_moderator: false,
        target_is_moderator: false,
        reason: "spam".into(),
        expires_at: None,
    };
    assert_eq!(
        when::<Membership>(&[], not_mod),
        Err(CommunitiesError::NotAModerator)
    );
    let on_a_mod = MembershipCommand::Ban {
        community: community_id_for("rust"),
        user: alice,
        moderator: mod_,
        actor_is_moderator: true,
        target_is_moderator: true,
        reason: "spam".into(),
        expires_at: None,
    };
    assert_eq!(
        when::<Membership>(&[], on_a_mod)
            .unwrap_err()
            .code_and_status(),
        ("forbidden", 403)
    );
    assert_eq!(
        when::<Membership>(&[], ban(alice, mod_, Some(now() - Duration::seconds(1))))
            .unwrap_err()
            .code_and_status(),
        ("validation_failed", 422)
    );
}

#[test]
fn a_ban_blocks_posting_voting_and_joining_until_it_expires() {
    let (alice, mod_) = (UserId::new(), UserId::new());
    let until = now() + Duration::hours(1);
    let banned = when::<Membership>(&[], ban(alice, mod_, Some(until))).unwrap();
    let membership = Membership::replay(&banned);
    let community_state = Community::replay(&community(mod_, Visibility::Public));
    let standing = Standing::of(&community_state, &membership, alice);

    let post = new_post(PostId::new(), standing.clone());
    assert_eq!(
        when::<Post>(&[], post.clone()),
        Err(CommunitiesError::Banned { until: Some(until) })
    );
    assert_eq!(
        when::<Post>(&[], post.clone())
            .unwrap_err()
            .code_and_status(),
        ("banned", 403)
    );
    let vote = VoteCommand::Cast {
        target: ContentRef::Post(PostId::new()),
        post_id: PostId::new(),
        standing: standing.clone(),
        target_closed: false,
        value: 1,
    };
    assert!(matches!(
        when::<Vote>(&[], vote.clone()),
        Err(CommunitiesError::Banned { .. })
    ));
    assert!(matches!(
        when::<Membership>(&banned, join(alice, alice, Visibility::Public, false)),
        Err(CommunitiesError::Banned { .. })
    ));

    // After the expiry, everything works again without anyone lifting the ban.
    let later = until + Duration::seconds(1);
    assert_eq!(when_at::<Post>(&[], post, later).unwrap().len(), 1);
    assert_eq!(when_at::<Vote>(&[], vote, later).unwrap().len(), 1);
    assert_eq!(
        when_at::<Membership>(
            &banned,
            join(alice, alice, Visibility::Public, false),
            later
        )
        .unwrap()
        .len(),
        1
    );
}

#[test]
fn a_ban_without_expiry_is_permanent_until_lifted() {
    let (alice, mod_) = (UserId::new(), UserId::new());
    let mut events = when::<Membership>(&[], ban(alice, mod_, None)).unwrap();
    let far = now() + Duration::days(3650);
    assert!(Membership::replay(&events).ban.unwrap().active_at(far));
    let unban = MembershipCommand::Unban {
        community: community_id_for("rust"),
        user: alice,
        moderator: mod_,
        actor_is_moderator: true,
        reason: Some("appeal".into()),
    };
    events.extend(when::<Membership>(&events, unban.clone()).unwrap());
    assert_eq!(Membership::replay(&events).ban, None);
    assert_eq!(
        when::<Membership>(&events, unban),
        Ok(vec![]),
        "lifting no ban changes nothing"
    );
}

// ------------------------------------------------------------------ posting permissions

#[test]
fn a_non_member_cannot_post_in_a_restricted_community_but_members_and_moderators_can() {
    let alice = UserId::new();
    assert_eq!(
        when::<Post>(
            &[],
            new_post(PostId::new(), standing(alice, Visibility::Restricted))
        ),
        Err(CommunitiesError::NotAMember)
    );
    assert!(
        when::<Post>(
            &[],
            new_post(PostId::new(), member(alice, Visibility::Restricted))
        )
        .is_ok()
    );
    let mod_in_restricted = Standing {
        visibility: Visibility::Restricted,
        ..moderator(alice)
    };
    assert!(when::<Post>(&[], new_post(PostId::new(), mod_in_restricted)).is_ok());
    assert!(
        when::<Post>(
            &[],
            new_post(PostId::new(), standing(alice, Visibility::Public))
        )
        .is_ok(),
        "anyone may post in a public community"
    );
}

#[test]
fn a_post_is_text_or_link_never_both_nor_neither() {
    let alice = UserId::new();
    let make = |body: Option<&str>, url: Option<&str>| {
        PostCommand::Create(NewPost {
            post_id: PostId::new(),
            standing: member(alice, Visibility::Public),
            title: "T".into(),
            body: body.map(Into::into),
            url: url.map(Into::into),
        })
    };
    assert!(when::<Post>(&[], make(Some("b"), None)).is_ok());
    assert!(when::<Post>(&[], make(None, Some("https://example.com/a"))).is_ok());
    for bad in [
        make(Some("b"), Some("https://example.com")),
        make(None, None),
        make(None, Some("javascript:alert(1)")),
    ] {
        assert_eq!(
            when::<Post>(&[], bad).unwrap_err().code_and_status(),
            ("validation_failed", 422)
        );
    }
}

#[test]
fn only_the_author_edits_and_every_revision_is_an_event() {
    let (alice, bob) = (UserId::new(), UserId::new());
    let (_, mut events) = post(alice);
    assert_eq!(
        when::<Post>(
            &events,
            PostCommand::Edit {
                standing: standing(bob, Visibility::Public),
                title: Some("Mine now".into()),
                body: None,
                url: None
            }
        ),
        Err(CommunitiesError::NotTheAuthor)
    );
    for (i, body) in ["second", "third"].iter().enumerate() {
        let edited = when::<Post>(
            &events,
            PostCommand::Edit {
                standing: standing(alice, Visibility::Public),
                title: None,
                body: Some((*body).into()),
                url: None,
            },
        )
        .unwrap();
        let PostEvent::Edited(e) = &edited[0] else {
            panic!("{edited:?}")
        };
        assert_eq!(e.revision, u32::try_from(i).unwrap() + 2);
        assert_eq!(
            e.title, "Hello",
            "the full content travels with each revision"
        );
        events.extend(edited);
    }
    let state = Post::replay(&events);
    assert_eq!((state.revision, state.body.as_deref()), (3, Some("third")));
    assert_eq!(
        when::<Post>(
            &events,
            PostCommand::Edit {
                standing: standing(alice, Visibility::Public),
                title: None,
                body: None,
                url: Some("https://example.com".into())
            }
        )
        .unwrap_err()
        .code_and_status(),
        ("validation_failed", 422),
        "a text post stays a text post"
    );
    // Only the author deletes; a deleted post cannot be edited.
    assert_eq!(
        when::<Post>(
            &events,
            PostCommand::Delete {
                standing: standing(bob, Visibility::Public)
            }
        ),
        Err(CommunitiesError::NotTheAuthor)
    );
    events.extend(
        when::<Post>(
            &events,
            PostCommand::Delete {
                standing: standing(alice, Visibility::Public),
            },
        )
        .unwrap(),
    );
    assert_eq!(
        when::<Post>(
            &events,
            PostCommand::Edit {
                standing: standing(alice, Visibility::Public),
                title: Some("x".into()),
                body: None,
                url: None
            }
        ),
        Err(CommunitiesError::Deleted("post"))
    );
}

#[test]
fn only_moderators_of_the_community_moderate_and_removal_is_reversible() {
    let (alice, mod_) = (UserId::new(), UserId::new());
    let (_, mut events) = post(alice);
    let remove = |standing: Standing| PostCommand::Remove {
        standing,
        reason: "off topic".into(),
    };
    assert_eq!(
        when::<Post>(&events, remove(member(alice, Visibility::Public))),
        Err(CommunitiesError::NotAModerator)
    );
    let elsewhere = Standing {
        community_id: community_id_for("other"),
        ..moderator(mod_)
    };
    assert_eq!(
        when::<Post>(&events, remove(elsewhere)),
        Err(CommunitiesError::NotAModerator),
        "a moderator of another community"
    );
    let removed = when::<Post>(&events, remove(moderator(mod_))).unwrap();
    assert!(
        matches!(&removed[0], PostEvent::Removed(m) if m.moderator_id == mod_ && m.reason.as_deref() == Some("off topic"))
    );
    events.extend(removed);
    assert!(Post::replay(&events).removed);
    assert_eq!(
        when::<Post>(&events, remove(moderator(mod_))),
        Ok(vec![]),
        "removing twice changes nothing"
    );
    events.extend(
        when::<Post>(
            &events,
            PostCommand::Restore {
                standing: moderator(mod_),
                reason: "appeal".into(),
            },
        )
        .unwrap(),
    );
    let state = Post::replay(&events);
    assert!(!state.removed);
    assert_eq!(
        state.body.as_deref(),
        Some("First post"),
        "nothing was lost"
    );
    assert_eq!(
        when::<Post>(
            &events,
            PostCommand::Remove {
                standing: moderator(mod_),
                reason: "  ".into()
            }
        )
        .unwrap_err()
        .code_and_status(),
        ("validation_failed", 422),
        "a removal needs a reason"
    );
}

#[test]
fn lock_and_pin_toggle_and_a_locked_post_takes_no_comments_but_from_moderators() {
    let (alice, mod_) = (UserId::new(), UserId::new());
    let (_, mut events) = post(alice);
    for command in [
        PostCommand::Lock {
            standing: moderator(mod_),
            reason: Some("heated".into()),
        },
        PostCommand::Pin {
            standing: moderator(mod_),
        },
    ] {
        events.extend(when::<Post>(&events, command).unwrap());
    }
    let locked = Post::replay(&events);
    assert!(locked.locked && locked.pinned);
    let comment = |standing: Standing| {
        CommentCommand::Create(NewComment {
            comment_id: CommentId::new(),
            post: PostFacts::of(&locked),
            parent: None,
            standing,
            body: "hi".into(),
        })
    };
    let refused = when::<Comment>(&[], comment(member(alice, Visibility::Public)));
    assert_eq!(refused, Err(CommunitiesError::Locked));
    assert_eq!(refused.unwrap_err().code_and_status(), ("locked", 409));
    assert!(when::<Comment>(&[], comment(moderator(mod_))).is_ok());
    events.extend(
        when::<Post>(
            &events,
            PostCommand::Unlock {
                standing: moderator(mod_),
                reason: None,
            },
        )
        .unwrap(),
    );
    assert!(!Post::replay(&events).locked);
}

// ------------------------------------------------------------------ comments

fn comment_on(post: &Post, parent: Option<&Comment>, author: UserId) -> Vec<CommentEvent> {
    when::<Comment>(
        &[],
        CommentCommand::Create(NewComment {
            comment_id: CommentId::new(),
            post: PostFacts::of(post),
            parent: parent.map(ParentFacts::of),
            standing: member(author, Visibility::Public),
            body: "a comment".into(),
        }),
    )
    .unwrap()
}

#[test]
fn replies_nest_to_any_depth_with_a_materialized_path() {
    let alice = UserId::new();
    let (_, events) = post(alice);
    let the_post = Post::replay(&events);
    let mut parent: Option<Comment> = None;
    let mut path = String::new();
    for depth in 0..50 {
        let created = comment_on(&the_post, parent.as_ref(), alice);
        let CommentEvent::Created(c) = &created[0] else {
            panic!("{created:?}")
        };
        path = if depth == 0 {
            c.comment_id.to_string()
        } else {
            format!("{path}.{}", c.comment_id)
        };
        assert_eq!((c.depth, &c.path), (depth, &path));
        assert_eq!(c.parent_id, parent.as_ref().map(|p| p.id));
        parent = Some(Comment::replay(&created));
    }
}

#[test]
fn a_reply_must_stay_on_its_parents_post() {
    let alice = UserId::new();
    let first = Post::replay(&post(alice).1);
    let second = Post::replay(&post(alice).1);
    let parent = Comment::replay(&comment_on(&first, None, alice));
    let err = when::<Comment>(
        &[],
        CommentCommand::Create(NewComment {
            comment_id: CommentId::new(),
            post: PostFacts::of(&second),
            parent: Some(ParentFacts::of(&parent)),
            standing: member(alice, Visibility::Public),
            body: "lost".into(),
        }),
    )
    .unwrap_err();
    assert_eq!(err.code_and_status(), ("validation_failed", 422));
}

#[test]
fn a_deleted_comment_keeps_its_place_and_only_its_author_edits_or_deletes_it() {
    let (alice, bob, mod_) = (UserId::new(), UserId::new(), UserId::new());
    let the_post = Post::replay(&post(alice).1);
    let mut events = comment_on(&the_post, None, alice);
    assert_eq!(
        when::<Comment>(
            &events,
            CommentCommand::Edit {
                standing: standing(bob, Visibility::Public),
                body: "x".into()
            }
        ),
        Err(CommunitiesError::NotTheAuthor)
    );
    assert_eq!(
        when::<Comment>(
            &events,
            CommentCommand::Delete {
                standing: standing(bob, Visibility::Public)
            }
        ),
        Err(CommunitiesError::NotTheAuthor)
    );
    events.extend(
        when::<Comment>(
            &events,
            CommentCommand::Edit {
                standing: standing(alice, Visibility::Public),
                body: "better".into(),
            },
        )
        .unwrap(),
    );
    let before = Comment::replay(&events);
    events.extend(
        when::<Comment>(
            &events,
            CommentCommand::Delete {
                standing: standing(alice, Visibility::Public),
            },
        )
        .unwrap(),
    );
    let after = Comment::replay(&events);
    assert!(after.deleted);
    assert_eq!(
        (after.path, after.depth, after.revision),
        (before.path, before.depth, 2)
    );
    // Moderator removal of a comment is reversible too.
    let mut other = comment_on(&the_post, None, bob);
    other.extend(
        when::<Comment>(
            &other,
            CommentCommand::Remove {
                standing: moderator(mod_),
                reason: "rude".into(),
            },
        )
        .unwrap(),
    );
    assert!(Comment::replay(&other).removed);
    other.extend(
        when::<Comment>(
            &other,
            CommentCommand::Restore {
                standing: moderator(mod_),
                reason: "fine".into(),
            },
        )
        .unwrap(),
    );
    assert!(!Comment::replay(&other).removed);
    assert_eq!(
        when::<Comment>(
            &other,
            CommentCommand::Remove {
                standing: member(bob, Visibility::Public),
                reason: "x".into()
            }
        ),
        Err(CommunitiesError::NotAModerator)
    );
}

// ------------------------------------------------------------------ votes

fn cast(voter: UserId, target: PostId, value: i32) -> VoteCommand {
    VoteCommand::Cast {
        target: ContentRef::Post(target),
        post_id: target,
        standing: standing(voter, Visibility::Public),
        target_closed: false,
        value,
    }
}

#[test]
fn votes_change_and_retract_with_exact_deltas() {
    let (voter, target) = (UserId::new(), PostId::new());
    let mut events: Vec<VoteEvent> = Vec::new();
    let (mut score, mut ups, mut downs) = (0, 0, 0);
    for value in [1, 1, -1, 0, -1, 1, 0, 0] {
        let new = when::<Vote>(&events, cast(voter, target, value)).unwrap();
        for VoteEvent::Cast(v) in &new {
            assert_eq!(v.voter_id, voter);
            score += v.value - v.previous;
            ups += i32::from(v.value == 1) - i32::from(v.previous == 1);
            downs += i32::from(v.value == -1) - i32::from(v.previous == -1);
        }
        events.extend(new);
        assert_eq!(score, value, "after voting {value}");
        assert_eq!(
            (ups, downs),
            (i32::from(value == 1), i32::from(value == -1))
        );
    }
    assert_eq!(
        events.len(),
        6,
        "repeating the current value records nothing"
    );
    assert_eq!(
        when::<Vote>(&events, cast(voter, target, 2))
            .unwrap_err()
            .code_and_status(),
        ("validation_failed", 422)
    );
}

#[test]
fn a_restricted_community_takes_votes_from_members_only_and_a_closed_target_only_retractions() {
    let (voter, target) = (UserId::new(), PostId::new());
    let restricted = VoteCommand::Cast {
        target: ContentRef::Post(target),
        post_id: target,
        standing: standing(voter, Visibility::Restricted),
        target_closed: false,
        value: 1,
    };
    assert_eq!(
        when::<Vote>(&[], restricted),
        Err(CommunitiesError::NotAMember)
    );
    let up = when::<Vote>(&[], cast(voter, target, 1)).unwrap();
    let closed = |value| VoteCommand::Cast {
        target: ContentRef::Post(target),
        post_id: target,
        standing: standing(voter, Visibility::Public),
        target_closed: true,
        value,
    };
    assert_eq!(
        when::<Vote>(&up, closed(-1)).unwrap_err().code_and_status(),
        ("forbidden", 403)
    );
    assert_eq!(when::<Vote>(&up, closed(0)).unwrap().len(), 1);
}

/// Issue 10: a ban stopped new posts, comments and votes, but not edits of what the banned
/// author had written before. Every author command now carries the author's standing.
#[test]
fn a_banned_author_edits_deletes_and_reports_nothing_until_the_ban_ends() {
    let alice = UserId::new();
    let (post_id, post_events) = post(alice);
    let comment_events = comment_on(&Post::replay(&post_events), None, alice);
    let end = now() + Duration::days(1);
    let banned = Standing {
        ban: Some(Ban {
            expires_at: Some(end),
        }),
        ..member(alice, Visibility::Public)
    };
    let edit_post = |standing: Standing| PostCommand::Edit {
        standing,
        title: Some("Edited while banned".into()),
        body: None,
        url: None,
    };
    let edit_comment = |standing: Standing| CommentCommand::Edit {
        standing,
        body: "edited while banned".into(),
    };
    let report = |reporter: Standing| ReportCommand::File {
        report_id: ReportId::new(),
        target: ContentRef::Post(post_id),
        post_id,
        reporter,
        reason: "spam".into(),
    };
    let refused = CommunitiesError::Banned { until: Some(end) };
    let delete_post = PostCommand::Delete {
        standing: banned.clone(),
    };
    let delete_comment = CommentCommand::Delete {
        standing: banned.clone(),
    };
    assert_eq!(
        when::<Post>(&post_events, edit_post(banned.clone())).unwrap_err(),
        refused
    );
    assert_eq!(
        when::<Post>(&post_events, delete_post).unwrap_err(),
        refused
    );
    assert_eq!(
        when::<Comment>(&comment_events, edit_comment(banned.clone())).unwrap_err(),
        refused
    );
    assert_eq!(
        when::<Comment>(&comment_events, delete_comment).unwrap_err(),
        refused
    );
    assert_eq!(
        when::<Report>(&[], report(banned.clone())).unwrap_err(),
        refused
    );
    // Once the ban has expired, the author acts again.
    let later = end + Duration::seconds(1);
    when_at::<Post>(&post_events, edit_post(banned.clone()), later).unwrap();
    when_at::<Comment>(&comment_events, edit_comment(banned.clone()), later).unwrap();
    when_at::<Report>(&[], report(banned), later).unwrap();
}

// ------------------------------------------------------------------ reports

#[test]
fn users_report_and_only_moderators_resolve_once() {
    let (alice, mod_) = (UserId::new(), UserId::new());
    let (post_id, report_id) = (PostId::new(), ReportId::new());
    let mut events = when::<Report>(
        &[],
        ReportCommand::File {
            report_id,
            target: ContentRef::Post(post_id),
            post_id,
            reporter: standing(alice, Visibility::Public),
            reason: "spam".into(),
        },
    )
    .unwrap();
    let resolve = |standing| ReportCommand::Resolve {
        standing,
        resolution: "removed".into(),
    };
    assert_eq!(
        when::<Report>(&events, resolve(member(alice, Visibility::Public))),
        Err(CommunitiesError::NotAModerator)
    );
    let resolved = when::<Report>(&events, resolve(moderator(mod_))).unwrap();
    assert!(matches!(&resolved[0], ReportEvent::Resolved(r) if r.moderator_id == mod_));
    events.extend(resolved);
    assert_eq!(
        when::<Report>(&events, resolve(moderator(mod_))),
        Err(CommunitiesError::AlreadyResolved)
    );
}
