module github.com/ghostanalytics/ghost-go/bench

go 1.26.0

replace github.com/ghostanalytics/ghost-go => ../

require (
	github.com/ghostanalytics/ghost-go v0.0.0
	github.com/go-resty/resty/v2 v2.17.2
)

require (
	github.com/google/go-querystring v1.2.0 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	golang.org/x/net v0.43.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)
