//! Read models of the payments context.

mod payments;
mod wallets;

pub use payments::{PAYMENTS, PaymentRow, PaymentsProjection, find_payment};
pub use wallets::{
    MovementRow, WALLETS, WalletRow, WalletsProjection, find_wallet, wallet_movements,
};
