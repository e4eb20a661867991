//! The OpenAPI description of the communities routes: each handler carries its
//! `#[utoipa::path]`, the bodies are in [`schemas`] (replies and read-model views) or beside
//! their handlers (requests), and [`openapi`] gathers them for the registration
//! (`Context::with_openapi`), which the composition root merges into the platform's document.

pub mod schemas;

use serde_json::json;
use utoipa::OpenApi;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

use super::{read, write};

#[derive(OpenApi)]
#[openapi(
    paths(
        write::communities::create_community,
        write::communities::change_settings,
        write::communities::join,
        write::communities::leave,
        write::communities::appoint_moderator,
        write::communities::remove_moderator,
        write::communities::ban,
        write::communities::unban,
        write::posts::create_post,
        write::posts::edit_post,
        write::posts::delete_post,
        write::posts::vote_post,
        write::post_moderation::remove_post,
        write::post_moderation::restore_post,
        write::post_moderation::lock_post,
        write::post_moderation::unlock_post,
        write::post_moderation::pin_post,
        write::post_moderation::unpin_post,
        write::comments::create_comment,
        write::comments::edit_comment,
        write::comments::delete_comment,
        write::comments::vote_comment,
        write::comments::remove_comment,
        write::comments::restore_comment,
        write::reports::report_post,
        write::reports::report_comment,
        write::reports::resolve_report,
        read::get_community,
        read::community_posts,
        read::moderation::community_reports,
        read::moderation::community_modlog,
        read::get_post,
        read::post_comments,
        read::live::live_comments,
        read::karma,
    ),
    components(schemas(schemas::Comment)),
    tags((
        name = "communities",
        description = "Communities (forums) with members, moderators and bans; posts, threaded \
                       comments, votes, karma, reports and the moderation log. Writes send a \
                       command and answer its reply with `Agora-Position` (or 202 when the reply \
                       is late); reads come from read models, lists are keyset-paged \
                       (`{items, next_cursor}`)."
    ))
)]
struct CommunitiesDoc;

/// The communities routes' OpenAPI document (paths, schemas, the `communities` tag).
#[must_use]
pub fn openapi() -> utoipa::openapi::OpenApi {
    CommunitiesDoc::openapi()
}

/// A text parameter taking one of `values`, `default` when absent.
fn one_of(description: &str, values: &[&str], default: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(values.iter().copied()))
        .default(Some(json!(default)))
        .build()
}

/// `sort` of a community's feed.
pub(super) fn feed_sorts() -> Object {
    one_of(
        "The feed's order.",
        &["hot", "new", "top", "controversial"],
        "hot",
    )
}

/// `t` of a community's feed (`sort=top` only).
pub(super) fn top_windows() -> Object {
    one_of(
        "The window of `sort=top` (ignored by the other sorts).",
        &["day", "week", "month", "year", "all"],
        "all",
    )
}

/// `sort` of a comment tree.
pub(super) fn comment_sorts() -> Object {
    one_of(
        "The order of each level of the tree.",
        &["top", "new", "hot"],
        "top",
    )
}

/// `status` of a report queue.
pub(super) fn report_statuses() -> Object {
    one_of("Which reports.", &["open", "resolved"], "open")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;
    use crate::projections::{
        CommentNode, CommentRow, CommunityRow, ModlogRow, PostRow, ReportRow,
    };

    fn doc() -> Value {
        serde_json::to_value(openapi()).unwrap()
    }

    /// The routes of `http::router`, as (method, path).
    const ROUTES: &[(&str, &str)] = &[
        ("post", "/api/v1/communities"),
        ("get", "/api/v1/communities/{name}"),
        ("patch", "/api/v1/communities/{name}"),
        ("post", "/api/v1/communities/{name}/members"),
        ("delete", "/api/v1/communities/{name}/members"),
        ("post", "/api/v1/communities/{name}/moderators"),
        ("delete", "/api/v1/communities/{name}/moderators/{user_id}"),
        ("post", "/api/v1/communities/{name}/bans"),
        ("delete", "/api/v1/communities/{name}/bans/{user_id}"),
        ("get", "/api/v1/communities/{name}/posts"),
        ("post", "/api/v1/communities/{name}/posts"),
        ("get", "/api/v1/communities/{name}/reports"),
        ("get", "/api/v1/communities/{name}/modlog"),
        ("get", "/api/v1/posts/{id}"),
        ("patch", "/api/v1/posts/{id}"),
        ("delete", "/api/v1/posts/{id}"),
        ("put", "/api/v1/posts/{id}/vote"),
        ("get", "/api/v1/posts/{id}/comments"),
        ("post", "/api/v1/posts/{id}/comments"),
        ("get", "/api/v1/posts/{id}/comments/live"),
        ("post", "/api/v1/posts/{id}/remove"),
        ("post", "/api/v1/posts/{id}/restore"),
        ("post", "/api/v1/posts/{id}/lock"),
        ("post", "/api/v1/posts/{id}/unlock"),
        ("post", "/api/v1/posts/{id}/pin"),
        ("post", "/api/v1/posts/{id}/unpin"),
        ("post", "/api/v1/posts/{id}/reports"),
        ("patch", "/api/v1/comments/{id}"),
        ("delete", "/api/v1/comments/{id}"),
        ("put", "/api/v1/comments/{id}/vote"),
        ("post", "/api/v1/comments/{id}/remove"),
        ("post", "/api/v1/comments/{id}/restore"),
        ("post", "/api/v1/comments/{id}/reports"),
        ("post", "/api/v1/reports/{id}/resolve"),
        ("get", "/api/v1/users/{id}/karma"),
    ];

    #[test]
    fn every_route_is_described_once_with_its_parameters_and_errors() {
        let doc = doc();
        let mut described = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                described += 1;
                assert!(
                    ROUTES.contains(&(method.as_str(), path.as_str())),
                    "{method} {path} is not a route"
                );
                assert_eq!(op["tags"], json!(["communities"]), "{method} {path}");
                let params: BTreeSet<&str> = op["parameters"]
                    .as_array()
                    .map(|ps| ps.iter().map(|p| p["name"].as_str().unwrap()).collect())
                    .unwrap_or_default();
                for segment in path.split('/').filter(|s| s.starts_with('{')) {
                    let name = segment.trim_matches(|c| c == '{' || c == '}');
                    assert!(params.contains(name), "{method} {path}: no `{name}`");
                }
                let responses = op["responses"].as_object().unwrap();
                assert_eq!(
                    responses.contains_key("404"),
                    path.contains('{'),
                    "{method} {path}: 404"
                );
                for (status, response) in responses {
                    if status.starts_with('4') || status.starts_with('5') {
                        let content = &response["content"]["application/problem+json"];
                        assert!(content.is_object(), "{method} {path} {status}: no problem");
                        let description = response["description"].as_str().unwrap();
                        assert!(
                            description.contains('`'),
                            "{method} {path} {status}: no code"
                        );
                    }
                }
                if method != "get" {
                    assert!(params.contains("Idempotency-Key"), "{method} {path}");
                    assert_eq!(op["security"], json!([{ "bearer": [] }]), "{method} {path}");
                    for status in ["202", "401", "409", "422", "429", "503"] {
                        assert!(
                            responses.contains_key(status),
                            "{method} {path}: no {status}"
                        );
                    }
                }
            }
        }
        assert_eq!(described, ROUTES.len());
        let live = &doc["paths"]["/api/v1/posts/{id}/comments/live"]["get"];
        assert!(live["responses"]["200"]["content"]["text/event-stream"].is_object());
    }

    /// The properties a schema of the document describes.
    fn described(doc: &Value, schema: &str) -> BTreeSet<String> {
        doc["components"]["schemas"][schema]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("no schema {schema}"))
            .keys()
            .cloned()
            .collect()
    }

    fn fields(json: &Value) -> BTreeSet<String> {
        json.as_object().unwrap().keys().cloned().collect()
    }

    #[test]
    fn the_read_models_json_has_the_fields_described() {
        let doc = doc();
        let community = CommunityRow {
            id: "c".into(),
            name: "n".into(),
            title: "t".into(),
            description: String::new(),
            rules: "[]".into(),
            visibility: "public".into(),
            owner_id: "o".into(),
            member_count: 1,
            created_at: "x".into(),
            updated_at: "x".into(),
        };
        assert_eq!(
            fields(&community.to_json(&[])),
            described(&doc, "Community")
        );
        let post = PostRow {
            id: "p".into(),
            community_id: "c".into(),
            community_name: "n".into(),
            author_id: "a".into(),
            title: "t".into(),
            body: None,
            url: None,
            revision: 1,
            published_at: "x".into(),
            updated_at: "x".into(),
            edited_at: None,
            score: 0,
            ups: 0,
            downs: 0,
            comment_count: 0,
            hot_rank: 0.0,
            controversy_rank: 0.0,
            removed: 0,
            deleted: 0,
            locked: 0,
            pinned: 0,
        };
        assert_eq!(fields(&post.to_json()), described(&doc, "Post"));
        let comment = CommentNode {
            comment: CommentRow {
                id: "m".into(),
                post_id: "p".into(),
                community_id: "c".into(),
                parent_id: None,
                root_id: "m".into(),
                path: "m".into(),
                depth: 0,
                author_id: "a".into(),
                body: "b".into(),
                revision: 1,
                created_at: "x".into(),
                updated_at: "x".into(),
                edited_at: None,
                score: 0,
                ups: 0,
                downs: 0,
                hot_rank: 0.0,
                child_count: 0,
                deleted: 0,
                removed: 0,
            },
            replies: vec![],
        };
        assert_eq!(fields(&comment.to_json()), described(&doc, "Comment"));
        let report = ReportRow {
            id: "r".into(),
            community_id: "c".into(),
            target_kind: "post".into(),
            target_id: "p".into(),
            post_id: "p".into(),
            reporter_id: "u".into(),
            reason: "spam".into(),
            status: "open".into(),
            created_at: "x".into(),
            resolved_by: None,
            resolution: None,
            resolved_at: None,
        };
        let report = report.to_json();
        assert_eq!(fields(&report), described(&doc, "Report"));
        assert_eq!(fields(&report["target"]), described(&doc, "ActionTarget"));
        let entry = ModlogRow {
            id: "e".into(),
            position: 1,
            community_id: "c".into(),
            moderator_id: "m".into(),
            action: "remove_post".into(),
            target_kind: "post".into(),
            target_id: "p".into(),
            reason: None,
            at: "x".into(),
        };
        assert_eq!(fields(&entry.to_json()), described(&doc, "ModlogEntry"));
        let page: BTreeSet<String> = ["items", "next_cursor"].map(String::from).into();
        for schema in ["PostPage", "CommentPage", "ReportPage", "ModlogPage"] {
            assert_eq!(described(&doc, schema), page, "{schema}");
        }
    }
}
