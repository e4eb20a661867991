//! Why an order command is refused, and how each refusal shows at the edge.
use shared_kernel::RejectionKind;

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
    fn code_and_kind(&self) -> (&'static str, RejectionKind) {
        match self {
            Self::AlreadyExists => ("order_exists", RejectionKind::Conflict),
            // Someone else's order looks like no order at all.
            Self::NotFound => ("not_found", RejectionKind::NotFound),
            Self::Forbidden(_) => ("forbidden", RejectionKind::Forbidden),
            Self::InvalidTransition(..) => ("invalid_order_state", RejectionKind::Conflict),
            Self::AlreadyShipped => ("order_shipped", RejectionKind::Conflict),
            Self::OwnProduct => ("own_product", RejectionKind::Invalid),
            Self::MixedCurrencies => ("mixed_currencies", RejectionKind::Invalid),
            Self::PaymentMismatch => ("payment_mismatch", RejectionKind::Conflict),
            Self::NothingToShip => ("nothing_to_ship", RejectionKind::Conflict),
            Self::UnknownLine(_) => ("unknown_line", RejectionKind::Invalid),
            Self::NotDelivered(_) => ("not_delivered", RejectionKind::Conflict),
            Self::AlreadyReturned(_) => ("already_returned", RejectionKind::Conflict),
            Self::ReturnSpansSellers => ("return_spans_sellers", RejectionKind::Invalid),
            Self::ReturnWindowClosed => ("return_window_closed", RejectionKind::Conflict),
            Self::ReturnNotFound => ("return_not_found", RejectionKind::NotFound),
            Self::Invalid(_) => ("validation_failed", RejectionKind::Invalid),
        }
    }
}
