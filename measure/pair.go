package measure

import (
	"github.com/smdlab/smd/internal/safetensors"
)

// buffers are the chunk buffers reused across tensors and pairs: at most
// two chunks of raw bytes and two of decoded values are held at a time,
// whatever the size of the model.
type buffers struct {
	ra, rb []byte
	fa, fb []float64
}

func newBuffers() *buffers {
	return &buffers{ra: make([]byte, 8*chunkElems), rb: make([]byte, 8*chunkElems), fa: make([]float64, chunkElems), fb: make([]float64, chunkElems)}
}

// pairMeasurer computes the sums of one tensor over two checkpoints.
type pairMeasurer struct {
	buf       *buffers
	perNeuron bool
	// Results of the last measure call.
	total   sums
	perp2   float64
	ch      []sums
	chPerp2 []float64
	bytes   int64
}

// measure streams tensor ta of fa and tb of fb (same shape) chunk by chunk.
// With channels > 0 it also accumulates per-channel sums, the channel of
// element i being i / (numel/channels) (channel axis first) or
// i % channels (last). A second pass computes ‖d⊥‖² explicitly where the
// one-pass formula would cancel (onePassPerp2).
func (m *pairMeasurer) measure(fa, fb *safetensors.File, ta, tb safetensors.Tensor, channels int, last bool) error {
	n := ta.Numel()
	m.total = sums{}
	if channels > 0 {
		m.ch = resize(m.ch, channels)
		m.chPerp2 = resize(m.chPerp2, channels)
	}
	fast := ta.DType == safetensors.F32 && tb.DType == safetensors.F32 && channels == 0
	var inner int64 = 1
	if channels > 0 && !last {
		inner = n / int64(channels)
	}
	if err := m.chunks(fa, fb, ta, tb, fast, func(off int64, k int) {
		if fast {
			m.total.add(sumsF32(m.buf.ra[:4*k], m.buf.rb[:4*k]))
			return
		}
		a, b := m.buf.fa[:k], m.buf.fb[:k]
		if channels == 0 {
			m.total.add(sumsF64(a, b))
			return
		}
		var part sums
		for j, x := range a {
			d := b[j] - x
			c := channelOf(off+int64(j), inner, channels, last)
			s := &m.ch[c]
			s.aa += x * x
			s.ad += x * d
			s.dd += d * d
			part.aa += x * x
			part.ad += x * d
			part.dd += d * d
		}
		m.total.add(part)
	}); err != nil {
		return err
	}
	p, totalOK := onePassPerp2(m.total)
	m.perp2 = p
	chOK := true
	for c := range channels {
		var ok bool
		m.chPerp2[c], ok = onePassPerp2(m.ch[c])
		chOK = chOK && ok
	}
	if totalOK && chOK {
		return nil
	}
	// Second pass: Σ (d − k·a)² with k = ⟨a,d⟩/‖a‖², per tensor and per channel.
	kt := 0.0
	if m.total.aa > 0 {
		kt = m.total.ad / m.total.aa
	}
	kc := make([]float64, channels)
	for c := range channels {
		if m.ch[c].aa > 0 {
			kc[c] = m.ch[c].ad / m.ch[c].aa
		}
		m.chPerp2[c] = 0
	}
	m.perp2 = 0
	return m.chunks(fa, fb, ta, tb, false, func(off int64, k int) {
		a, b := m.buf.fa[:k], m.buf.fb[:k]
		m.perp2 += perpF64(a, b, kt)
		for j, x := range a {
			if channels == 0 {
				break
			}
			c := channelOf(off+int64(j), inner, channels, last)
			p := (b[j] - x) - kc[c]*x
			m.chPerp2[c] += p * p
		}
	})
}

func channelOf(i, inner int64, channels int, last bool) int {
	if last {
		return int(i % int64(channels))
	}
	return int(i / inner)
}

// chunks reads both tensors chunk by chunk and calls fn with the chunk's
// first element index and length; the raw bytes are in buf.ra, buf.rb and,
// unless raw is set, the decoded values in buf.fa, buf.fb.
func (m *pairMeasurer) chunks(fa, fb *safetensors.File, ta, tb safetensors.Tensor, raw bool, fn func(off int64, k int)) error {
	n := ta.Numel()
	sa, sb := int64(ta.DType.Size()), int64(tb.DType.Size())
	for off := int64(0); off < n; off += chunkElems {
		k := int(min(chunkElems, n-off))
		ra, rb := m.buf.ra[:int64(k)*sa], m.buf.rb[:int64(k)*sb]
		if err := fa.ReadRaw(ta, off*sa, ra); err != nil {
			return err
		}
		if err := fb.ReadRaw(tb, off*sb, rb); err != nil {
			return err
		}
		m.bytes += int64(len(ra) + len(rb))
		if !raw {
			safetensors.Decode(m.buf.fa[:k], ra, ta.DType)
			safetensors.Decode(m.buf.fb[:k], rb, tb.DType)
		}
		fn(off, k)
	}
	return nil
}

// resize returns s with length n, zeroed, reusing its storage if it can.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}
