module github.com/picketsec/picket/sdk

go 1.26.0
