//! The benchmark's HTTP client: users, stocked products, and orders placed and followed until
//! paid.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::{Value, json};
use uuid::Uuid;

/// An HTTP client of the benchmark's server.
#[derive(Debug, Clone)]
pub(super) struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    /// A client of the server at `base` (`http://host:port`).
    pub(super) fn new(base: String) -> Self {
        Self {
            http: reqwest::Client::new(),
            base,
        }
    }

    /// The same server, through connections of its own (driven by whichever runtime uses it).
    pub(super) fn fresh(&self) -> Self {
        Self::new(self.base.clone())
    }
}

impl Client {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<(reqwest::StatusCode, reqwest::header::HeaderMap, Value)> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        if let Some(b) = body {
            request = request.json(&b);
        }
        let response = request.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await?;
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, headers, value))
    }

    async fn expect(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<(reqwest::header::HeaderMap, Value)> {
        let (status, headers, value) = self.call(method, path, token, body).await?;
        anyhow::ensure!(status.is_success(), "{path}: {status} {value}");
        Ok((headers, value))
    }

    /// Registers and logs in a new user; returns their access token.
    pub(super) async fn new_user(&self) -> anyhow::Result<String> {
        let email = format!("bench-{}@example.org", Uuid::now_v7().simple());
        let password = "correct horse battery staple";
        self.expect(
            reqwest::Method::POST,
            "/api/v1/users",
            None,
            Some(json!({"email": email, "password": password, "display_name": "bench"})),
        )
        .await?;
        let (_, session) = self
            .expect(
                reqwest::Method::POST,
                "/api/v1/sessions",
                None,
                Some(json!({"email": email, "password": password})),
            )
            .await?;
        session["access_token"]
            .as_str()
            .map(str::to_owned)
            .context("login answered no access token")
    }
}

fn position(headers: &reqwest::header::HeaderMap) -> String {
    headers
        .get("agora-position")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("0")
        .to_owned()
}

/// A seller's active product with plenty of stock; returns its id.
pub(super) async fn stocked_product(client: &Client, seller: &str) -> anyhow::Result<String> {
    let sku = format!("BENCH-{}", Uuid::now_v7().simple());
    let (_, created) = client
        .expect(
            reqwest::Method::POST,
            "/api/v1/products",
            Some(seller),
            Some(json!({
                "title": "Benchmark widget", "description": "for the order benchmark",
                "category": "bench", "sku": sku,
                "price": {"amount_minor": 1000, "currency": "EUR"},
            })),
        )
        .await?;
    let id = created["id"].as_str().context("product id")?.to_owned();
    let (headers, _) = client
        .expect(
            reqwest::Method::POST,
            &format!("/api/v1/products/{id}/publish"),
            Some(seller),
            None,
        )
        .await?;
    // Inventory learns of the sku from merchandise events: wait for them.
    let mut request = client
        .http
        .post(format!("{}/api/v1/inventory/{sku}/receipts", client.base))
        .bearer_auth(seller)
        .header("agora-min-position", position(&headers))
        .json(&json!({"quantity": 10_000_000}));
    for _ in 0..50 {
        let r = request
            .try_clone()
            .context("receipt request")?
            .send()
            .await?;
        if r.status().is_success() {
            return Ok(id);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        request = request.try_clone().context("receipt request")?;
    }
    anyhow::bail!("stock could not be received for {sku}")
}

/// Places one order and polls it until it is paid; the placed-to-paid time.
pub(super) async fn order_until_paid(
    client: &Client,
    buyer: &str,
    product: &str,
    poll: Duration,
) -> anyhow::Result<Duration> {
    Ok(placed_and_paid(client, buyer, product, poll).await?.0)
}

/// Places one order, reads it back at once with `Agora-Min-Position` (the read waits until
/// the orders read model has applied the placement: read-your-writes), then polls it until it
/// is paid. The placed-to-paid time and the read-your-writes wait.
pub(super) async fn placed_and_paid(
    client: &Client,
    buyer: &str,
    product: &str,
    poll: Duration,
) -> anyhow::Result<(Duration, Duration)> {
    let started = Instant::now();
    let (headers, placed) = client
        .expect(
            reqwest::Method::POST,
            "/api/v1/orders",
            Some(buyer),
            Some(json!({
                "lines": [{"product_id": product, "quantity": 1}],
                "shipping_address": {"name": "Bench Buyer", "line1": "1 Loop Road",
                    "city": "Lyon", "postal_code": "69001", "country": "FR"},
                "payment": {"method": "card", "token": "tok_ok"},
            })),
        )
        .await?;
    let id = placed["id"].as_str().context("order id")?.to_owned();
    let path = format!("/api/v1/orders/{id}");
    let placed_at = Instant::now();
    let read = client
        .http
        .get(format!("{}{path}", client.base))
        .bearer_auth(buyer)
        .header("agora-min-position", position(&headers))
        .send()
        .await?;
    anyhow::ensure!(
        read.status().is_success(),
        "{path} with Agora-Min-Position: {}",
        read.status()
    );
    let read_your_write = placed_at.elapsed();
    loop {
        let (status, _, order) = client
            .call(reqwest::Method::GET, &path, Some(buyer), None)
            .await?;
        match order["status"].as_str() {
            Some("paid") => return Ok((started.elapsed(), read_your_write)),
            Some(s @ ("rejected" | "cancelled")) => anyhow::bail!("order {id} ended {s}"),
            _ if status.is_server_error() => anyhow::bail!("{path}: {status} {order}"),
            _ => tokio::time::sleep(poll).await,
        }
    }
}
