//! Customers: list with search and paging, view, create, edit, archive.

mod fields;
mod list;
mod view;

pub use fields::CustomerFields;
pub use list::*;
pub use view::*;
