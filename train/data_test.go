package train

import (
	"sync"
	"testing"
)

// loadSplits checks dir with check and loads its training and test
// splits with load (a test failure if any of them fails).
func loadSplits[D any](t *testing.T, dir string, check func(string) error, load func(string, bool) (D, error)) (tr, te D) {
	t.Helper()
	if err := check(dir); err != nil {
		t.Fatal(err)
	}
	tr, err := load(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if te, err = load(dir, false); err != nil {
		t.Fatal(err)
	}
	return tr, te
}

var fashion struct {
	once   sync.Once
	tr, te *MNIST
	err    error
}

// fashionMNIST returns the installed Fashion-MNIST splits, skipping the test
// without the Debian package. They are read once for all of the package's
// tests, which only read them (70 000 images: ≈ 0.5 s each time).
func fashionMNIST(t *testing.T) (tr, te *MNIST) {
	t.Helper()
	skipWithoutFashionMNIST(t)
	fashion.once.Do(func() {
		if fashion.tr, fashion.err = LoadFashionMNIST(FashionMNISTDebianDir, true); fashion.err == nil {
			fashion.te, fashion.err = LoadFashionMNIST(FashionMNISTDebianDir, false)
		}
	})
	if fashion.err != nil {
		t.Fatal(fashion.err)
	}
	return fashion.tr, fashion.te
}
