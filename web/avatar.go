package web

import (
	"bytes"
	"hash/fnv"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net/http"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"baton/store"
)

// Actors' pictures: an avatar with the initials of the project's or person's name, and a header
// banner with the name, both in a colour of their own, drawn with the Go fonts (no system fonts), so
// that no account shows the fediverse's default picture and two projects are told apart at a glance.

const (
	avatarSize             = 400
	headerWidth            = 1500
	headerHeight           = 500
	pictureMaxAge          = "public, max-age=86400"
	maxCachedPicturesBytes = 64 << 20
)

// pictures caches the PNGs drawn, by kind and name: drawing one takes milliseconds, and servers
// fetch them for every account they show.
type pictures struct {
	mu    sync.Mutex
	cache map[string][]byte
	bytes int
	face  map[float64]font.Face
}

func newPictures() *pictures {
	return &pictures{cache: map[string][]byte{}, face: map[float64]font.Face{}}
}

// avatar serves GET /users/{name}/avatar.png.
func (s *Server) avatar(w http.ResponseWriter, r *http.Request) {
	s.picture(w, r, "avatar", func(a store.Actor) ([]byte, error) {
		return s.pictures.draw(avatarSize, avatarSize, initials(a.ShownName()), a.Name, 170)
	})
}

// header serves GET /users/{name}/header.png.
func (s *Server) header(w http.ResponseWriter, r *http.Request) {
	s.picture(w, r, "header", func(a store.Actor) ([]byte, error) {
		return s.pictures.draw(headerWidth, headerHeight, a.ShownName(), a.Name, 120)
	})
}

func (s *Server) picture(w http.ResponseWriter, r *http.Request, kind string, draw func(store.Actor) ([]byte, error)) {
	a, err := s.store.Actor(r.Context(), r.PathValue("name"))
	if err != nil {
		s.storeError(w, err, "actor "+r.PathValue("name"))
		return
	}
	key := kind + "\x00" + a.Name + "\x00" + a.ShownName()
	png, err := s.pictures.cached(key, func() ([]byte, error) { return draw(a) })
	if err != nil {
		s.storeError(w, err, "picture")
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", pictureMaxAge)
	w.Write(png)
}

func (p *pictures) cached(key string, make func() ([]byte, error)) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b, ok := p.cache[key]; ok {
		return b, nil
	}
	b, err := make()
	if err != nil {
		return nil, err
	}
	if p.bytes+len(b) > maxCachedPicturesBytes { // a bound, not an eviction policy: start again
		p.cache, p.bytes = map[string][]byte{}, 0
	}
	p.cache[key], p.bytes = b, p.bytes+len(b)
	return b, nil
}

// draw paints text centred on a w×h picture in the colour of seed.
func (p *pictures) draw(w, h int, text, seed string, size float64) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{colourOf(seed)}, image.Point{}, draw.Src)
	face, err := p.fontFace(size)
	if err != nil {
		return nil, err
	}
	d := &font.Drawer{Dst: img, Src: image.White, Face: face}
	for d.MeasureString(text).Ceil() > w*9/10 && len([]rune(text)) > 1 { // too wide: shorten with an ellipsis
		r := []rune(strings.TrimSuffix(text, "…"))
		text = string(r[:len(r)-1]) + "…"
	}
	m := face.Metrics()
	d.Dot = fixed.Point26_6{
		X: fixed.I(w)/2 - d.MeasureString(text)/2,
		Y: fixed.I(h)/2 + (m.Ascent-m.Descent)/2,
	}
	d.DrawString(text)
	var buf bytes.Buffer
	err = png.Encode(&buf, img)
	return buf.Bytes(), err
}

// fontFace is the Go Bold face at size, made once (the caller holds p.mu).
func (p *pictures) fontFace(size float64) (font.Face, error) {
	if f, ok := p.face[size]; ok {
		return f, nil
	}
	parsed, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, err
	}
	f, err := opentype.NewFace(parsed, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, err
	}
	p.face[size] = f
	return f, nil
}

// initials are up to two letters from a name: "XZ Utils" → "XU", "lasse" → "L".
func initials(name string) string {
	var out []rune
	for _, word := range strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		out = append(out, unicode.ToUpper([]rune(word)[0]))
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// palette holds colours white text reads well on.
var palette = []color.RGBA{
	{0x1f, 0x5f, 0x8b, 0xff}, {0x2e, 0x7d, 0x32, 0xff}, {0x6a, 0x1b, 0x9a, 0xff}, {0xad, 0x14, 0x57, 0xff},
	{0x00, 0x69, 0x5c, 0xff}, {0x45, 0x5a, 0x64, 0xff}, {0x8d, 0x4e, 0x00, 0xff}, {0x28, 0x35, 0x93, 0xff},
}

// colourOf picks a colour for a name, the same every time.
func colourOf(seed string) color.RGBA {
	h := fnv.New32a()
	h.Write([]byte(seed))
	return palette[h.Sum32()%uint32(len(palette))]
}
