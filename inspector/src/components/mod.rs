//! The page's components, one per file.

pub mod connect_panel;
pub mod filter_bar;
pub mod flags;
pub mod frame_detail;
pub mod header;
mod input;
pub mod json_tree;
pub mod lanes;
pub mod rules;
pub mod runs;
pub mod stream;
pub mod virtual_list;
