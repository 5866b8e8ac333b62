//! The server's integration tests, in one binary (one link step): the JSON API over real HTTP
//! (`http`), the pages as a person uses them (`web`), and the committed OpenAPI document
//! (`openapi`).

mod helpers;
mod http;
mod identity;
mod openapi;
mod store;
mod web;
