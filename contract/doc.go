// Package contract checks ghost-go and its mock server against the API's
// contract, openapi/ghost.yaml: a Validator finds the operation of any
// request to one of the five parts and validates the request and the
// response against the document (with kin-openapi), and Middleware makes a
// validating http.RoundTripper for ghost.WithTransportMiddleware.
//
// The package is its own module, so the SDK keeps its four dependencies;
// its tests drive every operation of the document through the SDK and raw
// HTTP against ghosttest in every profile, and check the coverage table of
// the README.
package contract
