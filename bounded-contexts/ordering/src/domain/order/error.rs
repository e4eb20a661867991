//! Why an order command is refused, and how each refusal shows at the edge.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("order already exists")]
    AlreadyExists,
    #[error("order not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("order is {0} and cannot be {1}")]
    InvalidTransition(&'static str, &'static str),
    #[error("order has been shipped and can no longer be cancelled")]
    AlreadyShipped,
    #[error("you cannot buy your own product")]
    OwnProduct,
    #[error("all lines of an order must be in one currency")]
    MixedCurrencies,
    #[error("the caller has no line of this order left to ship")]
    NothingToShip,
    #[error("the order has no line with sku {0}")]
    UnknownLine(String),
    #[error("line {0} is not delivered")]
    NotDelivered(String),
    #[error("line {0} is already returned or asked to be")]
    AlreadyReturned(String),
    #[error("a return sends back lines of one seller: ask once per seller")]
    ReturnSpansSellers,
    #[error("the return window of these lines has closed")]
    ReturnWindowClosed,
    #[error("no such return of the caller's lines")]
    ReturnNotFound,
    #[error("the payment does not match the order")]
    PaymentMismatch,
    #[error("{0}")]
    Invalid(String),
}

impl shared_kernel::application::Rejection for OrderError {
    fn code_and_status(&self) -> (&'static str, u16) {
        match self {
            Self::AlreadyExists => ("order_exists", 409),
            // Someone else's order looks like no order at all.
            Self::NotFound => ("not_found", 404),
            Self::Forbidden(_) => ("forbidden", 403),
            Self::InvalidTransition(..) => ("invalid_order_state", 409),
            Self::AlreadyShipped => ("order_shipped", 409),
            Self::OwnProduct => ("own_product", 422),
            Self::MixedCurrencies => ("mixed_currencies", 422),
            Self::PaymentMismatch => ("payment_mismatch", 409),
            Self::NothingToShip => ("nothing_to_ship", 409),
            Self::UnknownLine(_) => ("unknown_line", 422),
            Self::NotDelivered(_) => ("not_delivered", 409),
            Self::AlreadyReturned(_) => ("already_returned", 409),
            Self::ReturnSpansSellers => ("return_spans_sellers", 422),
            Self::ReturnWindowClosed => ("return_window_closed", 409),
            Self::ReturnNotFound => ("return_not_found", 404),
            Self::Invalid(_) => ("validation_failed", 422),
        }
    }
}
