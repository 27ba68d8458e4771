//! The page's hooks: live connections, the demo users, importing files, the refresh timer,
//! keyboard shortcuts.

mod use_connections;
mod use_demo_users;
mod use_import;
mod use_keyboard;
mod use_refresh;

pub use use_connections::{Wanted, use_connections};
pub use use_demo_users::{DemoUsers, use_demo_users};
pub use use_import::use_import;
pub use use_keyboard::{Shortcut, focus_later, use_keyboard};
pub use use_refresh::{REFRESH_MS, use_refresh};
