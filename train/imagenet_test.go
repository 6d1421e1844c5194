package train

import (
	"errors"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// TestFolderReader writes two classes of constant-colour images (PNG, so
// the colours survive exactly) and checks labels, sizes and normalization:
// any crop of a constant image, resized bilinearly, is that constant.
func TestFolderReader(t *testing.T) {
	dir := t.TempDir()
	colours := map[string]color.RGBA{"n01": {R: 255, A: 255}, "n02": {G: 128, B: 64, A: 255}}
	for name, c := range colours {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		for i, size := range [][2]int{{40, 30}, {25, 50}} {
			img := image.NewRGBA(image.Rect(0, 0, size[0], size[1]))
			for y := range size[1] {
				for x := range size[0] {
					img.Set(x, y, c)
				}
			}
			f, err := os.Create(filepath.Join(dir, name, string(rune('a'+i))+".png"))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
	os.WriteFile(filepath.Join(dir, "n01", "README.txt"), []byte("not an image"), 0o644)
	f, err := LoadFolder(dir, 16)
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != 4 || f.Classes() != 2 {
		t.Fatalf("Len %d Classes %d, want 4, 2", f.Len(), f.Classes())
	}
	const per = 16 * 16 * 3
	x := make([]float32, 4*per)
	y := make([]int32, 4)
	for _, rng := range []*rand.Rand{nil, rand.New(rand.NewPCG(1, 1))} {
		if err := f.Fill(x, y, []int{0, 1, 2, 3}, rng); err != nil {
			t.Fatal(err)
		}
		for k, wantLabel := range []int32{0, 0, 1, 1} {
			if y[k] != wantLabel {
				t.Errorf("label %d = %d, want %d", k, y[k], wantLabel)
			}
			c := colours[[]string{"n01", "n02"}[wantLabel]]
			rgb := [3]float32{float32(c.R) * 257 / 65535, float32(c.G) * 257 / 65535, float32(c.B) * 257 / 65535}
			for j := 0; j < per; j += 37 {
				ch := j % 3
				want := (rgb[ch] - imagenetMean[ch]) / imagenetStd[ch]
				if d := x[k*per+j] - want; d > 1e-5 || d < -1e-5 {
					t.Fatalf("augment=%v image %d element %d = %v, want %v", rng != nil, k, j, x[k*per+j], want)
				}
			}
		}
	}
	if _, err := LoadFolder(filepath.Join(dir, "missing"), 16); !errors.Is(err, ErrMissingData) {
		t.Errorf("missing folder: %v, want ErrMissingData", err)
	}
}
