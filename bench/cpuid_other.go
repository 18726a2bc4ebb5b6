//go:build !amd64

package main

// cpuidCaches has nothing to say off amd64.
func cpuidCaches() ([]cacheLevel, string) { return nil, "" }
