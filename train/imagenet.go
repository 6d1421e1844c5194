package train

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // ImageNet images are JPEGs
	_ "image/png"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// ImageNet channel mean and standard deviation on a 0–1 scale (the values of
// the torchvision and Goyal et al. recipes).
var (
	imagenetMean = [3]float32{0.485, 0.456, 0.406}
	imagenetStd  = [3]float32{0.229, 0.224, 0.225}
)

// Folder is an ImageNet-style image folder: one sub-folder of JPEG (or PNG)
// files per class, classes numbered in the sorted order of their folder
// names. Images are decoded when a batch is filled.
//
// Training images (Fill with an rng) get the standard random-resized crop
// (area 8–100 %, aspect ratio 3/4–4/3) to Size×Size and a random horizontal
// flip; evaluation images are resized so the shorter side is Size·256/224
// and centre-cropped to Size×Size. Both are normalized by the ImageNet
// channel statistics.
type Folder struct {
	Size    int
	classes []string
	files   []string
	labels  []int
}

// LoadFolder lists the images of dir/<class>/*. A missing dir is an
// ErrMissingData naming it. Every image's header is checked when the
// folder is opened (image.DecodeConfig: format and size, without decoding
// pixels), so a corrupt or truncated-to-nothing file is an ErrBadData now,
// not epochs later; a file whose pixel data alone is corrupt is still found
// only when Fill decodes it.
func LoadFolder(dir string, size int) (*Folder, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s (ImageNet layout: see docs/train.md)", ErrMissingData, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	f := &Folder{Size: size}
	for _, e := range entries {
		if e.IsDir() {
			f.classes = append(f.classes, e.Name())
		}
	}
	slices.Sort(f.classes)
	for c, name := range f.classes {
		imgs, err := os.ReadDir(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		for _, im := range imgs {
			ext := strings.ToLower(filepath.Ext(im.Name()))
			if !im.IsDir() && (ext == ".jpeg" || ext == ".jpg" || ext == ".png") {
				p := filepath.Join(dir, name, im.Name())
				if err := checkImage(p); err != nil {
					return nil, err
				}
				f.files = append(f.files, p)
				f.labels = append(f.labels, c)
			}
		}
	}
	if len(f.files) == 0 {
		return nil, fmt.Errorf("%w: no images in class sub-folders of %s", ErrMissingData, dir)
	}
	return f, nil
}

// checkImage reads an image file's header: a regular file whose format
// and dimensions decode, and are not empty.
func checkImage(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := dataFile(p, st); err != nil {
		return err
	}
	r, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	defer r.Close()
	cfg, format, err := image.DecodeConfig(bufio.NewReader(r))
	if err != nil {
		return badData(p, "not a readable image (header: %v)", err)
	}
	if cfg.Width < 1 || cfg.Height < 1 {
		return badData(p, "%s image of %d×%d pixels", format, cfg.Width, cfg.Height)
	}
	return nil
}

// Len is the number of images.
func (f *Folder) Len() int { return len(f.files) }

// Classes is the number of class folders.
func (f *Folder) Classes() int { return len(f.classes) }

// Dims is Size×Size×3.
func (f *Folder) Dims() (h, w, c int) { return f.Size, f.Size, 3 }

// Fill decodes, crops, resizes and normalizes images idx, in parallel.
func (f *Folder) Fill(x []float32, labels []int32, idx []int, rng *rand.Rand) error {
	per := f.Size * f.Size * 3
	if err := checkFill(x, labels, idx, per); err != nil {
		return err
	}
	// Draw the augmentation in order so results do not depend on scheduling.
	type aug struct {
		u    [4]float64
		flip bool
	}
	augs := make([]aug, len(idx))
	if rng != nil {
		for k := range augs {
			augs[k] = aug{u: [4]float64{rng.Float64(), rng.Float64(), rng.Float64(), rng.Float64()}, flip: rng.IntN(2) == 1}
		}
	}
	errs := make([]error, len(idx))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for k := range next {
				labels[k] = int32(f.labels[idx[k]])
				img, err := decode(f.files[idx[k]])
				if err != nil {
					errs[k] = err
					continue
				}
				var box [4]float64
				if rng != nil {
					box = randomResizedCrop(img.Bounds(), augs[k].u)
				} else {
					box = centerCrop(img.Bounds(), f.Size)
				}
				resample(x[k*per:(k+1)*per], img, box, f.Size, augs[k].flip)
			}
		})
	}
	for k := range idx {
		next <- k
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

func decode(path string) (image.Image, error) {
	r, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	defer r.Close()
	img, _, err := image.Decode(r)
	if err != nil {
		return nil, fmt.Errorf("train: decode %s: %w", path, err)
	}
	return img, nil
}

// randomResizedCrop picks a box (x0, y0, w, h) of area fraction in
// [0.08, 1] and log-uniform aspect ratio in [3/4, 4/3] from four uniforms,
// falling back to the whole image when the box does not fit.
func randomResizedCrop(b image.Rectangle, u [4]float64) [4]float64 {
	W, H := float64(b.Dx()), float64(b.Dy())
	area := W * H * (0.08 + 0.92*u[0])
	logr := math.Log(3.0/4) + u[1]*(math.Log(4.0/3)-math.Log(3.0/4))
	ar := math.Exp(logr)
	w, h := math.Sqrt(area*ar), math.Sqrt(area/ar)
	if w > W || h > H {
		s := math.Min(W, H)
		return [4]float64{float64(b.Min.X) + (W-s)/2, float64(b.Min.Y) + (H-s)/2, s, s}
	}
	return [4]float64{float64(b.Min.X) + u[2]*(W-w), float64(b.Min.Y) + u[3]*(H-h), w, h}
}

// centerCrop is the box that, after resizing the shorter side to
// size·256/224, is the central size×size square.
func centerCrop(b image.Rectangle, size int) [4]float64 {
	W, H := float64(b.Dx()), float64(b.Dy())
	s := math.Min(W, H) * 224 / 256
	return [4]float64{float64(b.Min.X) + (W-s)/2, float64(b.Min.Y) + (H-s)/2, s, s}
}

// resample writes the box of img, resized bilinearly to size×size (and
// mirrored if flip), into dst as normalized HWC floats.
func resample(dst []float32, img image.Image, box [4]float64, size int, flip bool) {
	b := img.Bounds()
	at := func(x, y int) [3]float32 {
		x = min(max(x, b.Min.X), b.Max.X-1)
		y = min(max(y, b.Min.Y), b.Max.Y-1)
		r, g, bl, _ := img.At(x, y).RGBA()
		return [3]float32{float32(r) / 65535, float32(g) / 65535, float32(bl) / 65535}
	}
	sx, sy := box[2]/float64(size), box[3]/float64(size)
	for i := range size {
		fy := box[1] + (float64(i)+0.5)*sy - 0.5
		y0 := int(math.Floor(fy))
		ty := float32(fy - float64(y0))
		for j := range size {
			jj := j
			if flip {
				jj = size - 1 - j
			}
			fx := box[0] + (float64(jj)+0.5)*sx - 0.5
			x0 := int(math.Floor(fx))
			tx := float32(fx - float64(x0))
			p00, p01, p10, p11 := at(x0, y0), at(x0+1, y0), at(x0, y0+1), at(x0+1, y0+1)
			o := (i*size + j) * 3
			for c := range 3 {
				v := (1-ty)*((1-tx)*p00[c]+tx*p01[c]) + ty*((1-tx)*p10[c]+tx*p11[c])
				dst[o+c] = (v - imagenetMean[c]) / imagenetStd[c]
			}
		}
	}
}
