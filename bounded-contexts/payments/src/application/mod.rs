//! Application layer: the commands as messages and the handler that runs them. The handler
//! does the I/O (provider calls, wallet debits) and records each outcome on the aggregates.

mod authorize;
mod commands;
mod handler;
mod payout_completion;
mod payouts;
mod replies;
mod settle;

pub use commands::{
    CREDIT_WALLET, CreditWallet, LedgerRequest, PAY_PAYOUT, PayPayout, PaymentRequest,
    PaymentsCommand, REQUEST_PAYOUT, RequestPayout, WalletRequest,
};
pub use handler::PaymentsHandler;
pub use payout_completion::{PAYOUT_COMPLETION, PayoutCompletion};
pub use replies::{
    LedgerEntryRecorded, PaymentState, PayoutAccepted, PayoutBalance, WalletCredited,
};
