package main

// override sets *dst to *flag when the flag was given (non-nil): how an
// optional command-line flag overrides a config value.
func override[T any](dst *T, flag *T) {
	if flag != nil {
		*dst = *flag
	}
}
