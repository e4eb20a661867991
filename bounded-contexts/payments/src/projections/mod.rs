//! Read models of the payments context.

mod payments;
mod seller_ledgers;
mod wallets;

pub use payments::{PAYMENTS, PaymentRow, PaymentsProjection, find_payment};
pub use seller_ledgers::{
    ENTRIES_CURSOR, LedgerEntryRow, SELLER_LEDGERS, SellerBalanceRow, SellerLedgersProjection,
    ledger_entries, seller_balances,
};
pub use wallets::{
    MOVEMENTS_CURSOR, MovementRow, WALLETS, WalletRow, WalletsProjection, find_wallet,
    wallet_movements,
};
