//! The page's hooks: live connections, the refresh timer, keyboard shortcuts.

mod use_connections;
mod use_keyboard;
mod use_refresh;

pub use use_connections::{Wanted, use_connections};
pub use use_keyboard::{Shortcut, focus_later, use_keyboard};
pub use use_refresh::{REFRESH_MS, use_refresh};
