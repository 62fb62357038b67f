// Package fuzz runs fuzz campaigns over a layer's native Go fuzz targets
// and turns their outcome into results.
//
// [List] finds the targets (func FuzzXxx) of a layer descriptor's package
// and of every package under it. [Run] fuzzes one target with
//
//	go test ./<pkg> -run ^$ -fuzz ^<Name>$ -fuzztime <Time> -parallel <N>
//
// from the module root, streams the fuzzer's status lines ("fuzz: elapsed:
// 3s, execs: 12345 (4115/sec), new interesting: 2 (total: 40)") to a
// progress writer, and parses them and the final verdict into an
// [Outcome].
//
// # Crashers
//
// When the fuzzer finds a failing input, the go command itself minimises it
// and writes it into the package's testdata/fuzz/<Name>/<hash>, where
// every later go test run replays it: it is the regression seed. Run
// records its path (relative to the module root), checks that the file
// exists, and leaves it in place; the campaign's result lists it as an
// artifact. A target that fails on an input already in its seed corpus
// (added with f.Add, or an earlier crasher under testdata) is reported in
// [Outcome].SeedFailure, and, when that input is a file, in Crashers too.
// Until the bug is fixed, go test (and make test) fails on the seed — as
// intended.
//
// The generated corpus of "interesting" inputs lives in the Go build
// cache ($GOCACHE/fuzz), not in the repository; [Options].CacheDir runs the
// campaign with another GOCACHE.
//
// # Results
//
// [ToResult] writes one "fuzz" result per target, named
// "<layer>/fuzz/<subpackage>/<target>" in lower case (the subpackage
// path, relative to the layer's directory, is left out for the layer's own
// package): for example "sync/fuzz/fuzzdecodeframe" and
// "sync/fuzz/reconcile/fuzzprocess". Its metrics are execs, execs_per_sec
// (execs/s, averaged over the campaign), new_interesting and corpus
// (inputs), fuzz_time (s) and crashers; its goal is crashers <= 0, anchored
// "no crasher in <time> of fuzzing".
//
// Go's fuzzing engine draws its own randomness: a campaign cannot be
// replayed from a seed, only its crashers can.
package fuzz
