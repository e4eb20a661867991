//! `/api/v1/products`: commands go to the bus, reads come from the catalog read model.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_kernel::{ApiError, Caller, Json, min_position, reply_response};
use projections::{Progress, WaitError};
use serde::Deserialize;
use shared_kernel::ids::ProductId;
use shared_kernel::{BusError, CommandBus, Money};
use sqlx::AnyPool;
use uuid::Uuid;

use crate::application::MerchandiseCommand;
use crate::projections::{CATALOG, CatalogProduct, find_product};

/// What the routes need.
#[derive(Debug, Clone)]
pub struct MerchandiseApi {
    pub bus: Arc<dyn CommandBus>,
    pub read: AnyPool,
    pub progress: Progress,
    /// How long a read with `Agora-Min-Position` may wait for the catalog.
    pub read_wait: Duration,
}

pub fn router(api: MerchandiseApi) -> Router {
    Router::new()
        .route("/api/v1/products", post(create_product))
        .route(
            "/api/v1/products/{id}",
            get(get_product).patch(change_details),
        )
        .route("/api/v1/products/{id}/publish", post(publish_product))
        .route("/api/v1/products/{id}/price", post(change_price))
        .with_state(api)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateProduct {
    title: String,
    #[serde(default)]
    description: String,
    category: String,
    price: Money,
    sku: String,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeDetails {
    title: Option<String>,
    description: Option<String>,
    category: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangePrice {
    price: Money,
}

async fn send(
    api: &MerchandiseApi,
    caller: Caller,
    command: &MerchandiseCommand,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let envelope = command
        .envelope(Uuid::now_v7(), caller.user_id)
        .map_err(ApiError::internal)?;
    let command_id = envelope.command_id;
    let reply = match api.bus.send(envelope).await {
        Ok(reply) => reply,
        // The command may still be processed: answer where its outcome will be, not an error.
        Err(BusError::Timeout(_)) => return Ok(pending_command(command_id)),
        Err(BusError::NoRoute(_) | BusError::Unavailable(_)) => {
            return Err(ApiError::Unavailable {
                detail: "the merchandise service is not reachable".into(),
                retry_after_secs: 2,
            });
        }
    };
    let body = match &reply.outcome {
        shared_kernel::CommandOutcome::Accepted { body, .. } => body.clone(),
        shared_kernel::CommandOutcome::Rejected { .. } => serde_json::Value::Null,
    };
    reply_response(reply, status, body)
}

/// 202 with the command's status location, for a command whose reply did not come in time.
fn pending_command(command_id: Uuid) -> Response {
    let location = format!("/api/v1/commands/{command_id}");
    let mut response = (
        StatusCode::ACCEPTED,
        axum::Json(serde_json::json!({ "command_id": command_id, "status": "pending", "location": location })),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn parse_id(id: &str) -> Result<ProductId, ApiError> {
    id.parse().map_err(|_| ApiError::NotFound("product".into()))
}

async fn create_product(
    State(api): State<MerchandiseApi>,
    caller: Caller,
    Json(req): Json<CreateProduct>,
) -> Result<Response, ApiError> {
    let product_id = ProductId::new();
    let command = MerchandiseCommand::CreateProduct {
        product_id,
        title: req.title,
        description: req.description,
        category: req.category,
        sku: req.sku,
        price: req.price,
        attributes: req.attributes,
    };
    let mut response = send(&api, caller, &command, StatusCode::CREATED).await?;
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/products/{product_id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn publish_product(
    State(api): State<MerchandiseApi>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let command = MerchandiseCommand::PublishProduct {
        product_id: parse_id(&id)?,
    };
    send(&api, caller, &command, StatusCode::OK).await
}

async fn change_details(
    State(api): State<MerchandiseApi>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<ChangeDetails>,
) -> Result<Response, ApiError> {
    let command = MerchandiseCommand::ChangeProductDetails {
        product_id: parse_id(&id)?,
        title: req.title,
        description: req.description,
        category: req.category,
    };
    send(&api, caller, &command, StatusCode::OK).await
}

async fn change_price(
    State(api): State<MerchandiseApi>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<ChangePrice>,
) -> Result<Response, ApiError> {
    let command = MerchandiseCommand::ChangeProductPrice {
        product_id: parse_id(&id)?,
        price: req.price,
    };
    send(&api, caller, &command, StatusCode::OK).await
}

/// Waits for the catalog to contain the caller's write, if the caller asked to.
async fn wait_for_catalog(api: &MerchandiseApi, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(position) = min_position(headers)? else {
        return Ok(());
    };
    match api
        .progress
        .wait_for(CATALOG, position, api.read_wait)
        .await
    {
        Ok(()) => Ok(()),
        Err(WaitError::TimedOut(_) | WaitError::UnknownProjection(_)) => {
            Err(ApiError::Unavailable {
                detail: format!("the catalog has not reached position {position} yet"),
                retry_after_secs: 1,
            })
        }
        Err(WaitError::Store(e)) => Err(ApiError::internal(e)),
    }
}

fn product_json(p: &CatalogProduct) -> serde_json::Value {
    let attributes: serde_json::Value =
        serde_json::from_str(&p.attributes).unwrap_or_else(|_| serde_json::json!({}));
    serde_json::json!({
        "id": p.id,
        "seller_id": p.seller_id,
        "status": p.status,
        "title": p.title,
        "description": p.description,
        "category": p.category,
        "sku": p.sku,
        "price": { "amount_minor": p.price_minor, "currency": p.currency },
        "attributes": attributes,
        // Stock levels arrive with the inventory context.
        "available": null,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "version": p.version,
    })
}

async fn get_product(
    State(api): State<MerchandiseApi>,
    caller: Option<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // A malformed header is the request's fault whatever the id: check it first.
    min_position(&headers)?;
    let id = parse_id(&id)?;
    wait_for_catalog(&api, &headers).await?;
    let product = find_product(&api.read, &id.to_string())
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::NotFound("product".into()))?;
    // Drafts are visible to their seller only.
    let is_seller = caller.is_some_and(|c| c.user_id.to_string() == product.seller_id);
    if product.status == "draft" && !is_seller {
        return Err(ApiError::NotFound("product".into()));
    }
    Ok(Json(product_json(&product)).into_response())
}
