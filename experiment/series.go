package experiment

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/smdlab/smd/sim"
)

// ReadSeries parses a series.csv written by WriteSeries (SeriesHeader
// columns, one sim.Row per line).
func ReadSeries(path string) ([]sim.Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	if !sc.Scan() {
		return nil, fmt.Errorf("%s: empty", path)
	}
	if sc.Text() != strings.Join(SeriesHeader, ",") {
		return nil, fmt.Errorf("%s: unexpected header %q", path, sc.Text())
	}
	var rows []sim.Row
	for line := 2; sc.Scan(); line++ {
		fs := strings.Split(sc.Text(), ",")
		if len(fs) != len(SeriesHeader) {
			return nil, fmt.Errorf("%s:%d: %d fields, want %d", path, line, len(fs), len(SeriesHeader))
		}
		var v [17]float64
		for i, s := range fs {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", path, line, err)
			}
			v[i] = x
		}
		rows = append(rows, sim.Row{Step: int(v[0]), Eta: v[1], Lambda: v[2], Risk: v[3], RiskSE: v[4],
			Loss: v[5], LossSE: v[6], AU: v[7], AUSE: v[8], AURMS: v[9], AURMSSE: v[10],
			Norm: v[11], NormSE: v[12], NormSq: v[13], NormSqSE: v[14], Tail: v[15], TailSE: v[16]})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	return rows, nil
}
