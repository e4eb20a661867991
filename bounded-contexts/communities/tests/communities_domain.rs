//! Given events, when a command, then events or an error: the communities aggregates, pure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use chrono::Duration;
use communities::domain::{
    Ban, Comment, CommentCommand, CommunitiesError, Community, CommunityCommand, Membership,
    MembershipCommand, NewComment, NewCommunity, NewPost, ParentFacts, Post, PostCommand,
    PostFacts, Report, ReportCommand, Standing, Vote, VoteCommand, community_id_for,
};
use event_schemas::communities::{
    CommentEvent, CommunityEvent, ContentRef, MembershipEvent, PostEvent, ReportEvent, Visibility,
    VoteEvent,
};
use shared_kernel::RejectionKind;
use shared_kernel::Timestamp;
use shared_kernel::ids::{CommentId, PostId, ReportId, UserId};
use shared_kernel::testing::{Given, given, now};

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

fn community(owner: UserId, visibility: Visibility) -> Given<Community> {
    let mut community = given(&[]);
    community.and(CommunityCommand::Create(new_community(
        "rust", owner, visibility,
    )));
    community
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

fn post(author: UserId) -> (PostId, Given<Post>) {
    let id = PostId::new();
    let mut post = given(&[]);
    post.and(new_post(id, member(author, Visibility::Public)));
    (id, post)
}

// ------------------------------------------------------------------ community

#[test]
fn the_creator_owns_and_moderates_a_new_community_with_a_normalized_name() {
    let owner = UserId::new();
    let created = given::<Community>(&[]).when(CommunityCommand::Create(new_community(
        " Rust ",
        owner,
        Visibility::Public,
    )));
    let events = created.events();
    let CommunityEvent::Created(c) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(c.name, "rust");
    assert_eq!(c.community_id, community_id_for("RUST"));
    assert_eq!(c.rules, vec!["Be kind".to_owned()]);
    assert!(matches!(&events[1], CommunityEvent::ModeratorAppointed(m) if m.user_id == owner));
    let state = created.state();
    assert!(state.is_owner(owner) && state.is_moderator(owner));
}

#[test]
fn a_name_is_taken_once_and_must_be_valid() {
    let owner = UserId::new();
    community(owner, Visibility::Public)
        .when(CommunityCommand::Create(new_community(
            "rust",
            UserId::new(),
            Visibility::Public,
        )))
        .then_rejects(CommunitiesError::AlreadyExists("community"));
    for bad in ["ab", "has space", "émoji", &"x".repeat(22), "dash-es"] {
        let refused = given::<Community>(&[]).when(CommunityCommand::Create(new_community(
            bad,
            owner,
            Visibility::Public,
        )));
        assert_eq!(
            refused.error().code_and_kind(),
            ("validation_failed", RejectionKind::Invalid),
            "{bad}"
        );
    }
}

#[test]
fn only_the_owner_appoints_and_removes_moderators() {
    let (owner, alice, bob) = (UserId::new(), UserId::new(), UserId::new());
    let mut community = community(owner, Visibility::Public);
    community
        .when(CommunityCommand::AppointModerator {
            actor: alice,
            user: bob,
        })
        .then_rejects(CommunitiesError::NotTheOwner);
    community.and(CommunityCommand::AppointModerator {
        actor: owner,
        user: alice,
    });
    assert!(community.state().is_moderator(alice));
    // A moderator cannot remove the owner, nor anyone else; they may step down.
    community
        .when(CommunityCommand::RemoveModerator {
            actor: alice,
            user: owner,
        })
        .then_rejects(CommunitiesError::NotTheOwner);
    let refused = community.when(CommunityCommand::RemoveModerator {
        actor: owner,
        user: owner,
    });
    assert_eq!(
        refused.error().code_and_kind(),
        ("forbidden", RejectionKind::Forbidden)
    );
    let stepped_down = community
        .when(CommunityCommand::RemoveModerator {
            actor: alice,
            user: alice,
        })
        .state();
    assert!(!stepped_down.is_moderator(alice));
}

#[test]
fn only_moderators_change_settings() {
    let owner = UserId::new();
    let community = community(owner, Visibility::Public);
    let change = |actor| CommunityCommand::ChangeSettings {
        actor,
        title: None,
        description: Some("New".into()),
        rules: Some(vec!["One".into(), "Two".into()]),
        visibility: Some(Visibility::Restricted),
    };
    community
        .when(change(UserId::new()))
        .then_rejects(CommunitiesError::NotAModerator);
    let state = community.when(change(owner)).state();
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
    let stranger = given::<Membership>(&[]);
    assert!(
        stranger
            .when(join(alice, alice, Visibility::Public, false))
            .then_accepts()
            .member,
        "self-join of a public community"
    );
    stranger
        .when(join(alice, alice, Visibility::Restricted, false))
        .then_rejects(CommunitiesError::ApprovalRequired);
    assert_eq!(
        stranger
            .when(join(alice, UserId::new(), Visibility::Restricted, false))
            .error(),
        &CommunitiesError::NotAModerator,
        "a non-moderator cannot admit someone else"
    );
    let mut membership = given::<Membership>(&[]);
    let events = membership.and(join(alice, mod_, Visibility::Restricted, true));
    assert!(matches!(&events[0], MembershipEvent::Joined(j) if j.added_by == Some(mod_)));
    // Joining twice changes nothing; leaving twice neither.
    membership
        .when(join(alice, alice, Visibility::Public, false))
        .then_nothing();
    let leave = MembershipCommand::Leave {
        community: community_id_for("rust"),
        user: alice,
    };
    assert_eq!(membership.and(leave.clone()).len(), 1);
    membership.when(leave).then_nothing();
}

#[test]
fn only_moderators_ban_and_never_a_moderator_nor_into_the_past() {
    let (alice, mod_) = (UserId::new(), UserId::new());
    let nobody = given::<Membership>(&[]);
    let not_mod = MembershipCommand::Ban {
        community: community_id_for("rust"),
        user: alice,
        moderator: UserId::new(),
        actor_is_moderator: false,
        target_is_moderator: false,
        reason: "spam".into(),
        expires_at: None,
    };
    nobody
        .when(not_mod)
        .then_rejects(CommunitiesError::NotAModerator);
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
        nobody.when(on_a_mod).error().code_and_kind(),
        ("forbidden", RejectionKind::Forbidden)
    );
    assert_eq!(
        nobody
            .when(ban(alice, mod_, Some(now() - Duration::seconds(1))))
            .error()
            .code_and_kind(),
        ("validation_failed", RejectionKind::Invalid)
    );
}

#[test]
fn a_ban_blocks_posting_voting_and_joining_until_it_expires() {
    let (alice, mod_) = (UserId::new(), UserId::new());
    let until = now() + Duration::hours(1);
    let mut banned = given::<Membership>(&[]);
    banned.and(ban(alice, mod_, Some(until)));
    let standing = Standing::of(
        &community(mod_, Visibility::Public).state(),
        &banned.state(),
        alice,
    );

    let post = new_post(PostId::new(), standing.clone());
    let no_post = given::<Post>(&[]);
    no_post
        .when(post.clone())
        .then_rejects(CommunitiesError::Banned { until: Some(until) });
    assert_eq!(
        no_post.when(post.clone()).error().code_and_kind(),
        ("banned", RejectionKind::Forbidden)
    );
    let vote = VoteCommand::Cast {
        target: ContentRef::Post(PostId::new()),
        post_id: PostId::new(),
        standing: standing.clone(),
        target_closed: false,
        value: 1,
    };
    assert!(matches!(
        given::<Vote>(&[]).when(vote.clone()).error(),
        CommunitiesError::Banned { .. }
    ));
    assert!(matches!(
        banned
            .when(join(alice, alice, Visibility::Public, false))
            .error(),
        CommunitiesError::Banned { .. }
    ));

    // After the expiry, everything works again without anyone lifting the ban.
    let later = until + Duration::seconds(1);
    assert_eq!(no_post.at(later).when(post).events().len(), 1);
    assert_eq!(given::<Vote>(&[]).at(later).when(vote).events().len(), 1);
    assert_eq!(
        banned
            .at(later)
            .when(join(alice, alice, Visibility::Public, false))
            .events()
            .len(),
        1
    );
}

#[test]
fn a_ban_without_expiry_is_permanent_until_lifted() {
    let (alice, mod_) = (UserId::new(), UserId::new());
    let mut membership = given::<Membership>(&[]);
    membership.and(ban(alice, mod_, None));
    let far = now() + Duration::days(3650);
    assert!(membership.state().ban.unwrap().active_at(far));
    let unban = MembershipCommand::Unban {
        community: community_id_for("rust"),
        user: alice,
        moderator: mod_,
        actor_is_moderator: true,
        reason: Some("appeal".into()),
    };
    membership.and(unban.clone());
    assert_eq!(membership.state().ban, None);
    // Lifting no ban changes nothing.
    membership.when(unban).then_nothing();
}

// ------------------------------------------------------------------ posting permissions

#[test]
fn a_non_member_cannot_post_in_a_restricted_community_but_members_and_moderators_can() {
    let alice = UserId::new();
    let no_post = given::<Post>(&[]);
    no_post
        .when(new_post(
            PostId::new(),
            standing(alice, Visibility::Restricted),
        ))
        .then_rejects(CommunitiesError::NotAMember);
    no_post
        .when(new_post(
            PostId::new(),
            member(alice, Visibility::Restricted),
        ))
        .then_accepts();
    let mod_in_restricted = Standing {
        visibility: Visibility::Restricted,
        ..moderator(alice)
    };
    no_post
        .when(new_post(PostId::new(), mod_in_restricted))
        .then_accepts();
    // Anyone may post in a public community.
    no_post
        .when(new_post(PostId::new(), standing(alice, Visibility::Public)))
        .then_accepts();
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
    let no_post = given::<Post>(&[]);
    no_post.when(make(Some("b"), None)).then_accepts();
    no_post
        .when(make(None, Some("https://example.com/a")))
        .then_accepts();
    for bad in [
        make(Some("b"), Some("https://example.com")),
        make(None, None),
        make(None, Some("javascript:alert(1)")),
    ] {
        assert_eq!(
            no_post.when(bad).error().code_and_kind(),
            ("validation_failed", RejectionKind::Invalid)
        );
    }
}

/// Issue 20: `"body": ""` made a text post where a missing body was refused. A blank body is
/// no text: refused as a missing one is, on creation and on an edit, with the same code.
#[test]
fn a_text_post_needs_a_body_that_is_not_blank() {
    let alice = UserId::new();
    let no_post = given::<Post>(&[]);
    for blank in ["", "   ", "\n\t"] {
        let create = PostCommand::Create(NewPost {
            post_id: PostId::new(),
            standing: member(alice, Visibility::Public),
            title: "T".into(),
            body: Some(blank.into()),
            url: None,
        });
        let when = no_post.when(create);
        let refused = when.error();
        assert_eq!(
            refused.code_and_kind(),
            ("validation_failed", RejectionKind::Invalid)
        );
        assert_eq!(refused.to_string(), "body must not be blank");
    }
    let (_, post) = post(alice);
    let blanked = post.when(PostCommand::Edit {
        standing: standing(alice, Visibility::Public),
        title: None,
        body: Some(" ".into()),
        url: None,
    });
    assert_eq!(blanked.error().to_string(), "body must not be blank");
}

#[test]
fn only_the_author_edits_and_every_revision_is_an_event() {
    let (alice, bob) = (UserId::new(), UserId::new());
    let (_, mut post) = post(alice);
    post.when(PostCommand::Edit {
        standing: standing(bob, Visibility::Public),
        title: Some("Mine now".into()),
        body: None,
        url: None,
    })
    .then_rejects(CommunitiesError::NotTheAuthor);
    for (i, body) in ["second", "third"].iter().enumerate() {
        let edited = post.and(PostCommand::Edit {
            standing: standing(alice, Visibility::Public),
            title: None,
            body: Some((*body).into()),
            url: None,
        });
        let PostEvent::Edited(e) = &edited[0] else {
            panic!("{edited:?}")
        };
        assert_eq!(e.revision, u32::try_from(i).unwrap() + 2);
        assert_eq!(
            e.title, "Hello",
            "the full content travels with each revision"
        );
    }
    let state = post.state();
    assert_eq!((state.revision, state.body.as_deref()), (3, Some("third")));
    assert_eq!(
        post.when(PostCommand::Edit {
            standing: standing(alice, Visibility::Public),
            title: None,
            body: None,
            url: Some("https://example.com".into())
        })
        .error()
        .code_and_kind(),
        ("validation_failed", RejectionKind::Invalid),
        "a text post stays a text post"
    );
    // Only the author deletes; a deleted post cannot be edited.
    post.when(PostCommand::Delete {
        standing: standing(bob, Visibility::Public),
    })
    .then_rejects(CommunitiesError::NotTheAuthor);
    post.and(PostCommand::Delete {
        standing: standing(alice, Visibility::Public),
    });
    post.when(PostCommand::Edit {
        standing: standing(alice, Visibility::Public),
        title: Some("x".into()),
        body: None,
        url: None,
    })
    .then_rejects(CommunitiesError::Deleted("post"));
}

#[test]
fn only_moderators_of_the_community_moderate_and_removal_is_reversible() {
    let (alice, mod_) = (UserId::new(), UserId::new());
    let (_, mut post) = post(alice);
    let remove = |standing: Standing| PostCommand::Remove {
        standing,
        reason: "off topic".into(),
    };
    post.when(remove(member(alice, Visibility::Public)))
        .then_rejects(CommunitiesError::NotAModerator);
    let elsewhere = Standing {
        community_id: community_id_for("other"),
        ..moderator(mod_)
    };
    assert_eq!(
        post.when(remove(elsewhere)).error(),
        &CommunitiesError::NotAModerator,
        "a moderator of another community"
    );
    let removed = post.and(remove(moderator(mod_)));
    assert!(
        matches!(&removed[0], PostEvent::Removed(m) if m.moderator_id == mod_ && m.reason.as_deref() == Some("off topic"))
    );
    assert!(post.state().removed);
    // Removing twice changes nothing.
    post.when(remove(moderator(mod_))).then_nothing();
    post.and(PostCommand::Restore {
        standing: moderator(mod_),
        reason: "appeal".into(),
    });
    let state = post.state();
    assert!(!state.removed);
    assert_eq!(
        state.body.as_deref(),
        Some("First post"),
        "nothing was lost"
    );
    assert_eq!(
        post.when(PostCommand::Remove {
            standing: moderator(mod_),
            reason: "  ".into()
        })
        .error()
        .code_and_kind(),
        ("validation_failed", RejectionKind::Invalid),
        "a removal needs a reason"
    );
}

#[test]
fn lock_and_pin_toggle_and_a_locked_post_takes_no_comments_but_from_moderators() {
    let (alice, mod_) = (UserId::new(), UserId::new());
    let (_, mut post) = post(alice);
    post.and(PostCommand::Lock {
        standing: moderator(mod_),
        reason: Some("heated".into()),
    });
    post.and(PostCommand::Pin {
        standing: moderator(mod_),
    });
    let locked = post.state();
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
    let no_comment = given::<Comment>(&[]);
    let refused = no_comment.when(comment(member(alice, Visibility::Public)));
    assert_eq!(refused.error(), &CommunitiesError::Locked);
    assert_eq!(
        refused.error().code_and_kind(),
        ("locked", RejectionKind::Conflict)
    );
    no_comment.when(comment(moderator(mod_))).then_accepts();
    post.and(PostCommand::Unlock {
        standing: moderator(mod_),
        reason: None,
    });
    assert!(!post.state().locked);
}

// ------------------------------------------------------------------ comments

fn comment_on(post: &Post, parent: Option<&Comment>, author: UserId) -> Given<Comment> {
    let mut comment = given(&[]);
    comment.and(CommentCommand::Create(NewComment {
        comment_id: CommentId::new(),
        post: PostFacts::of(post),
        parent: parent.map(ParentFacts::of),
        standing: member(author, Visibility::Public),
        body: "a comment".into(),
    }));
    comment
}

#[test]
fn replies_nest_to_any_depth_with_a_materialized_path() {
    let alice = UserId::new();
    let the_post = post(alice).1.state();
    let mut parent: Option<Comment> = None;
    let mut path = String::new();
    for depth in 0..50 {
        let created = comment_on(&the_post, parent.as_ref(), alice);
        let CommentEvent::Created(c) = &created.history()[0] else {
            panic!("{:?}", created.history())
        };
        path = if depth == 0 {
            c.comment_id.to_string()
        } else {
            format!("{path}.{}", c.comment_id)
        };
        assert_eq!((c.depth, &c.path), (depth, &path));
        assert_eq!(c.parent_id, parent.as_ref().map(|p| p.id));
        parent = Some(created.state());
    }
}

#[test]
fn a_reply_must_stay_on_its_parents_post() {
    let alice = UserId::new();
    let first = post(alice).1.state();
    let second = post(alice).1.state();
    let parent = comment_on(&first, None, alice).state();
    let refused = given::<Comment>(&[]).when(CommentCommand::Create(NewComment {
        comment_id: CommentId::new(),
        post: PostFacts::of(&second),
        parent: Some(ParentFacts::of(&parent)),
        standing: member(alice, Visibility::Public),
        body: "lost".into(),
    }));
    assert_eq!(
        refused.error().code_and_kind(),
        ("validation_failed", RejectionKind::Invalid)
    );
}

#[test]
fn a_deleted_comment_keeps_its_place_and_only_its_author_edits_or_deletes_it() {
    let (alice, bob, mod_) = (UserId::new(), UserId::new(), UserId::new());
    let the_post = post(alice).1.state();
    let mut comment = comment_on(&the_post, None, alice);
    comment
        .when(CommentCommand::Edit {
            standing: standing(bob, Visibility::Public),
            body: "x".into(),
        })
        .then_rejects(CommunitiesError::NotTheAuthor);
    comment
        .when(CommentCommand::Delete {
            standing: standing(bob, Visibility::Public),
        })
        .then_rejects(CommunitiesError::NotTheAuthor);
    comment.and(CommentCommand::Edit {
        standing: standing(alice, Visibility::Public),
        body: "better".into(),
    });
    let before = comment.state();
    comment.and(CommentCommand::Delete {
        standing: standing(alice, Visibility::Public),
    });
    let after = comment.state();
    assert!(after.deleted);
    assert_eq!(
        (after.path, after.depth, after.revision),
        (before.path, before.depth, 2)
    );
    // Moderator removal of a comment is reversible too.
    let mut other = comment_on(&the_post, None, bob);
    other.and(CommentCommand::Remove {
        standing: moderator(mod_),
        reason: "rude".into(),
    });
    assert!(other.state().removed);
    other.and(CommentCommand::Restore {
        standing: moderator(mod_),
        reason: "fine".into(),
    });
    assert!(!other.state().removed);
    other
        .when(CommentCommand::Remove {
            standing: member(bob, Visibility::Public),
            reason: "x".into(),
        })
        .then_rejects(CommunitiesError::NotAModerator);
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
    let mut vote = given::<Vote>(&[]);
    let (mut score, mut ups, mut downs) = (0, 0, 0);
    for value in [1, 1, -1, 0, -1, 1, 0, 0] {
        for VoteEvent::Cast(v) in &vote.and(cast(voter, target, value)) {
            assert_eq!(v.voter_id, voter);
            score += v.value - v.previous;
            ups += i32::from(v.value == 1) - i32::from(v.previous == 1);
            downs += i32::from(v.value == -1) - i32::from(v.previous == -1);
        }
        assert_eq!(score, value, "after voting {value}");
        assert_eq!(
            (ups, downs),
            (i32::from(value == 1), i32::from(value == -1))
        );
    }
    assert_eq!(
        vote.history().len(),
        6,
        "repeating the current value records nothing"
    );
    assert_eq!(
        vote.when(cast(voter, target, 2)).error().code_and_kind(),
        ("validation_failed", RejectionKind::Invalid)
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
    let mut vote = given::<Vote>(&[]);
    vote.when(restricted)
        .then_rejects(CommunitiesError::NotAMember);
    vote.and(cast(voter, target, 1));
    let closed = |value| VoteCommand::Cast {
        target: ContentRef::Post(target),
        post_id: target,
        standing: standing(voter, Visibility::Public),
        target_closed: true,
        value,
    };
    assert_eq!(
        vote.when(closed(-1)).error().code_and_kind(),
        ("forbidden", RejectionKind::Forbidden)
    );
    assert_eq!(vote.when(closed(0)).events().len(), 1);
}

/// Issue 10: a ban stopped new posts, comments and votes, but not edits of what the banned
/// author had written before. Every author command now carries the author's standing.
#[test]
fn a_banned_author_edits_deletes_and_reports_nothing_until_the_ban_ends() {
    let alice = UserId::new();
    let (post_id, post) = post(alice);
    let comment = comment_on(&post.state(), None, alice);
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
    let no_report = given::<Report>(&[]);
    post.when(edit_post(banned.clone()))
        .then_rejects(refused.clone());
    post.when(delete_post).then_rejects(refused.clone());
    comment
        .when(edit_comment(banned.clone()))
        .then_rejects(refused.clone());
    comment.when(delete_comment).then_rejects(refused.clone());
    no_report.when(report(banned.clone())).then_rejects(refused);
    // Once the ban has expired, the author acts again.
    let later = end + Duration::seconds(1);
    post.at(later)
        .when(edit_post(banned.clone()))
        .then_accepts();
    comment
        .at(later)
        .when(edit_comment(banned.clone()))
        .then_accepts();
    no_report.at(later).when(report(banned)).then_accepts();
}

// ------------------------------------------------------------------ reports

#[test]
fn users_report_and_only_moderators_resolve_once() {
    let (alice, mod_) = (UserId::new(), UserId::new());
    let (post_id, report_id) = (PostId::new(), ReportId::new());
    let mut report = given::<Report>(&[]);
    report.and(ReportCommand::File {
        report_id,
        target: ContentRef::Post(post_id),
        post_id,
        reporter: standing(alice, Visibility::Public),
        reason: "spam".into(),
    });
    let resolve = |standing| ReportCommand::Resolve {
        standing,
        resolution: "removed".into(),
    };
    report
        .when(resolve(member(alice, Visibility::Public)))
        .then_rejects(CommunitiesError::NotAModerator);
    let resolved = report.and(resolve(moderator(mod_)));
    assert!(matches!(&resolved[0], ReportEvent::Resolved(r) if r.moderator_id == mod_));
    report
        .when(resolve(moderator(mod_)))
        .then_rejects(CommunitiesError::AlreadyResolved);
}
