package verify

import (
	"context"
	"fmt"
	"os"
	"testing"
)

func TestZZProbe(t *testing.T) {
	quick := os.Getenv("FULL") == ""
	rows, err := optRows(context.Background(), quick, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		fmt.Printf("%-14s %-28s pred %.6g req %.6g sim %.6g ± %.2g bound %.2g pass %v req %v | %s\n", r.Case, r.Result, r.Predicted, r.Printed, r.Simulated, r.SE, r.Bound, r.Pass, r.PrintedPass, r.Detail)
	}
}
