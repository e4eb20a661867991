//! Pure domain code: no clock, no I/O, no async. Provider answers come in as values.

mod commission;
mod ledger;
mod payment;
mod wallet;

pub use commission::{CommissionRate, FULL_BPS, InvalidRate};
pub use ledger::{LedgerCommand, LedgerError, Payout, PayoutStatus, SellerLedger};
pub use payment::{
    DECLINED_CANCELLED, DECLINED_INVALID_TOKEN, Payment, PaymentCommand, PaymentError,
    PaymentStatus, check_request,
};
pub use wallet::{DECLINED_INSUFFICIENT_FUNDS, Wallet, WalletCommand, WalletError};
