// Package acapi checks the Spark part of ghost-go (the typed SDK services
// and the sparkpay mock) against the vendor's own OpenAPI document,
// acapi.yaml, pinned in ../testdata. Its tests validate every exchange with
// kin-openapi, and, built with the prism tag, through Stoplight Prism as a
// validating proxy; both use the one exception list of exceptions_test.go.
package acapi
