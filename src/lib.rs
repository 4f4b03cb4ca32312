//! Tests and examples of graph-endpoint, written as a consumer would.
