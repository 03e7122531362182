package main

var cfg = Config{
	User:     "svc",
	Password: "a8RWKTyULC8T#SlD",
}
