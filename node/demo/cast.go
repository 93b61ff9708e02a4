package demo

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand"
	"slices"
	"strings"

	"github.com/coopnode/coopnode/crdt"
)

// The cast and the city: names, places and menus. Everything here is pure
// data and arithmetic on integer cents and microdegrees, so it is tested
// without starting a node.

// nantes is the centre of the demo city (place Royale), in microdegrees.
var nantes = crdt.Position{LatE6: 47_215_800, LonE6: -1_557_600}

var courierNames = []string{
	"Zoé", "Malik", "Inès", "Hugo", "Yasmine", "Théo", "Camille", "Nour", "Jules", "Aïcha",
	"Lucas", "Maëlle", "Sami", "Élodie", "Bastien", "Fatou", "Gaspard", "Lina", "Youssef", "Romane",
	"Kenji", "Salomé", "Idriss", "Capucine", "Mathis", "Awa", "Noé", "Jeanne", "Rayan", "Louise",
}

var customerNames = []string{
	"Léa", "Karim", "Manon", "Arthur", "Sofia", "Gabriel", "Chloé", "Omar", "Emma", "Nathan",
	"Jade", "Adam", "Alice", "Mehdi", "Rose", "Paul", "Anaïs", "Bilal", "Juliette", "Tom",
	"Lou", "Ibrahim", "Clara", "Victor", "Mila", "Ilyes", "Margaux", "Hector", "Zélie", "Moussa",
	"Agathe", "Eliott", "Nina", "Samuel", "Célia", "Axel", "Maya", "Oscar", "Yanis", "Inaya",
	"Léon", "Ambre", "Malo", "Soline", "Ethan", "Lyna", "Raphaël", "Éva", "Marius", "Thaïs",
}

// pickName returns the i-th name of a list, numbering repeats.
func pickName(list []string, i int) string {
	if i < len(list) {
		return list[i]
	}
	return fmt.Sprintf("%s %d", list[i%len(list)], i/len(list)+1)
}

// restaurantSpec is one restaurant of the demo city.
type restaurantSpec struct {
	Name    string
	Cuisine int // index into cuisines
	Address string
	Pos     crdt.Position
	Phone   string
}

var restaurantSpecs = []restaurantSpec{
	{"Chez Mia", 0, "4 rue de la Juiverie, 44000 Nantes", crdt.Position{LatE6: 47_214_900, LonE6: -1_552_700}, "+33 2 40 00 10 01"},
	{"Pho Saigon", 1, "17 rue Jean-Jacques Rousseau, 44000 Nantes", crdt.Position{LatE6: 47_213_000, LonE6: -1_562_700}, "+33 2 40 00 10 02"},
	{"Crêperie Bréizh", 2, "9 rue de Talensac, 44000 Nantes", crdt.Position{LatE6: 47_222_500, LonE6: -1_557_000}, "+33 2 40 00 10 03"},
	{"Pizzeria Luigi", 3, "2 quai François Mitterrand, 44200 Nantes", crdt.Position{LatE6: 47_206_000, LonE6: -1_556_000}, "+33 2 40 00 10 04"},
	{"Le Burger Nantais", 4, "31 boulevard de Chantenay, 44100 Nantes", crdt.Position{LatE6: 47_200_500, LonE6: -1_595_000}, "+33 2 40 00 10 05"},
	{"Curry Canal", 5, "5 rue Saint-Félix, 44000 Nantes", crdt.Position{LatE6: 47_229_000, LonE6: -1_548_000}, "+33 2 40 00 10 06"},
	{"Mezze Doulon", 0, "112 rue de la Basse-Chênaie, 44300 Nantes", crdt.Position{LatE6: 47_226_200, LonE6: -1_516_000}, "+33 2 40 00 10 07"},
	{"Bánh Mì Zola", 1, "48 rue de la Bourgeoisie, 44100 Nantes", crdt.Position{LatE6: 47_218_500, LonE6: -1_580_000}, "+33 2 40 00 10 08"},
	{"Ty Gwechall", 2, "21 rue des Hauts-Pavés, 44000 Nantes", crdt.Position{LatE6: 47_228_000, LonE6: -1_569_000}, "+33 2 40 00 10 09"},
	{"Forno Malakoff", 3, "8 boulevard de Berlin, 44000 Nantes", crdt.Position{LatE6: 47_213_000, LonE6: -1_530_000}, "+33 2 40 00 10 10"},
	{"Smash Commerce", 4, "3 place du Commerce, 44000 Nantes", crdt.Position{LatE6: 47_213_400, LonE6: -1_558_300}, "+33 2 40 00 10 11"},
	{"Dal Erdre", 5, "66 quai de Versailles, 44000 Nantes", crdt.Position{LatE6: 47_225_800, LonE6: -1_555_200}, "+33 2 40 00 10 12"},
	{"Le Cèdre", 0, "14 rue Fouré, 44000 Nantes", crdt.Position{LatE6: 47_211_200, LonE6: -1_545_500}, "+33 2 40 00 10 13"},
	{"Hanoi Canclaux", 1, "2 place Canclaux, 44100 Nantes", crdt.Position{LatE6: 47_214_300, LonE6: -1_574_600}, "+33 2 40 00 10 14"},
	{"Krampouezh", 2, "27 rue Paul Bellamy, 44000 Nantes", crdt.Position{LatE6: 47_224_000, LonE6: -1_561_800}, "+33 2 40 00 10 15"},
	{"Trattoria Feydeau", 3, "1 allée Duguay-Trouin, 44000 Nantes", crdt.Position{LatE6: 47_212_300, LonE6: -1_555_200}, "+33 2 40 00 10 16"},
	{"Burger Rezé", 4, "10 rue Jean Jaurès, 44400 Rezé", crdt.Position{LatE6: 47_191_000, LonE6: -1_552_000}, "+33 2 40 00 10 17"},
	{"Tandoor Procé", 5, "40 boulevard des Anglais, 44100 Nantes", crdt.Position{LatE6: 47_225_500, LonE6: -1_577_000}, "+33 2 40 00 10 18"},
	{"Falafel Bouffay", 0, "6 place du Bouffay, 44000 Nantes", crdt.Position{LatE6: 47_214_500, LonE6: -1_553_600}, "+33 2 40 00 10 19"},
	{"Pho Madeleine", 1, "19 chaussée de la Madeleine, 44000 Nantes", crdt.Position{LatE6: 47_210_800, LonE6: -1_551_500}, "+33 2 40 00 10 20"},
}

// restaurantSpecFor returns the i-th restaurant; past the list it reuses
// one with a numbered name and a shifted position.
func restaurantSpecFor(i int) restaurantSpec {
	s := restaurantSpecs[i%len(restaurantSpecs)]
	if k := i / len(restaurantSpecs); k > 0 {
		s.Name = fmt.Sprintf("%s %d", s.Name, k+1)
		s.Pos.LatE6 += int32(k) * 1_100
		s.Pos.LonE6 -= int32(k) * 1_500
	}
	return s
}

// Tax categories and their VAT rates in percent (French restaurant rules:
// takeaway food and soft drinks 10 %, alcohol and delivery 20 %). Prices are
// tax included; the tax share is computed per line in integer cents.
const (
	taxFood    = "food_takeaway"
	taxSoft    = "drink_soft"
	taxAlcohol = "drink_alcohol"
	taxService = "service"
)

var vatPercent = map[string]int64{taxFood: 10, taxSoft: 10, taxAlcohol: 20, taxService: 20}

// includedTax is the VAT inside a tax-included amount, rounded half up.
func includedTax(amountCents int64, category string) int64 {
	rate, ok := vatPercent[category]
	if !ok || amountCents <= 0 {
		return 0
	}
	return (amountCents*rate*2 + (100 + rate)) / (2 * (100 + rate))
}

type cuisine struct {
	Tag        string
	Prep       uint32
	Descr      string
	Sections   []crdt.MenuSection
	SoldOutPID string // the product that sells out while a courier is offline
}

func prod(id, name string, cents int64, tax string, allergens []string, opts ...crdt.Option) crdt.Product {
	return crdt.Product{ID: id, Name: name, PriceCents: cents, TaxCategory: tax, Enabled: true,
		Alcohol: tax == taxAlcohol, Allergens: allergens, Options: opts}
}

func choice(id, name string, min, max uint32, vals ...crdt.OptionValue) crdt.Option {
	return crdt.Option{ID: id, Name: name, Min: min, Max: max, Values: vals}
}

func val(id, name string, cents int64) crdt.OptionValue {
	return crdt.OptionValue{ID: id, Name: name, PriceCents: cents, Enabled: true}
}

func al(a ...string) []string { return a }

var cuisines = []cuisine{
	{Tag: "lebanese", Prep: 12, Descr: "Falafel, shawarma and mezze, made to order.", SoldOutPID: "baklava", Sections: []crdt.MenuSection{
		{Name: "Wraps & plates", Products: []crdt.Product{
			prod("falafel-wrap", "Falafel wrap", 850, taxFood, al("gluten", "sesame"), choice("sauce", "Sauce", 0, 1, val("garlic", "garlic sauce", 50), val("harissa", "harissa", 50), val("tahini", "tahini", 0))),
			prod("shawarma-wrap", "Chicken shawarma wrap", 950, taxFood, al("gluten", "mustard"), choice("sauce", "Sauce", 0, 1, val("garlic", "garlic sauce", 50), val("harissa", "harissa", 50))),
			prod("mezze-plate", "Mezze plate", 1390, taxFood, al("sesame", "milk")),
			prod("halloumi-salad", "Halloumi salad", 1150, taxFood, al("milk")),
		}},
		{Name: "Sides & sweets", Products: []crdt.Product{
			prod("hummus", "Hummus & pita", 500, taxFood, al("gluten", "sesame")),
			prod("fries", "Za'atar fries", 350, taxFood, nil),
			prod("baklava", "Baklava", 400, taxFood, al("gluten", "nuts")),
		}},
		{Name: "Drinks", Products: []crdt.Product{
			prod("lemonade", "Lemonade", 300, taxSoft, nil),
			prod("mint-tea", "Mint tea", 250, taxSoft, nil),
			prod("almaza", "Almaza beer", 450, taxAlcohol, al("gluten")),
		}},
	}},
	{Tag: "vietnamese", Prep: 15, Descr: "Slow-simmered pho and bánh mì.", SoldOutPID: "che", Sections: []crdt.MenuSection{
		{Name: "Bowls", Products: []crdt.Product{
			prod("pho-bo", "Phở bò", 1250, taxFood, al("soybeans", "celery"), choice("heat", "Heat", 0, 1, val("chili", "fresh chili", 0), val("sriracha", "sriracha", 30))),
			prod("bo-bun", "Bò bún", 1190, taxFood, al("peanuts", "fish")),
			prod("tofu-bun", "Tofu bún", 1090, taxFood, al("soybeans", "peanuts")),
		}},
		{Name: "Street food", Products: []crdt.Product{
			prod("banh-mi", "Bánh mì", 750, taxFood, al("gluten", "eggs"), choice("extra", "Extra", 0, 1, val("egg", "fried egg", 100), val("pate", "pâté", 80))),
			prod("nem", "Nems (4)", 600, taxFood, al("gluten", "crustaceans")),
			prod("che", "Chè ba màu", 450, taxFood, al("milk")),
		}},
		{Name: "Drinks", Products: []crdt.Product{
			prod("iced-tea", "Jasmine iced tea", 300, taxSoft, nil),
			prod("ca-phe", "Cà phê sữa đá", 350, taxSoft, al("milk")),
			prod("saigon-beer", "Saigon beer", 450, taxAlcohol, al("gluten")),
		}},
	}},
	{Tag: "crêpes", Prep: 10, Descr: "Buckwheat galettes and Breton crêpes.", SoldOutPID: "kouign", Sections: []crdt.MenuSection{
		{Name: "Galettes", Products: []crdt.Product{
			prod("complete", "Galette complète", 950, taxFood, al("eggs", "milk"), choice("extra", "Extra", 0, 1, val("mushrooms", "mushrooms", 120), val("onions", "onion confit", 100))),
			prod("saucisse", "Galette saucisse", 800, taxFood, al("mustard")),
			prod("chevre", "Galette chèvre-miel", 1050, taxFood, al("milk", "nuts")),
		}},
		{Name: "Crêpes", Products: []crdt.Product{
			prod("caramel", "Crêpe caramel beurre salé", 550, taxFood, al("gluten", "eggs", "milk")),
			prod("chocolat", "Crêpe chocolat", 500, taxFood, al("gluten", "eggs", "milk")),
			prod("kouign", "Kouign-amann", 400, taxFood, al("gluten", "milk")),
		}},
		{Name: "Drinks", Products: []crdt.Product{
			prod("cidre", "Cidre bouché", 450, taxAlcohol, al("sulphites")),
			prod("jus-pomme", "Apple juice", 300, taxSoft, nil),
		}},
	}},
	{Tag: "pizza", Prep: 14, Descr: "Wood-fired Neapolitan pizza.", SoldOutPID: "tiramisu", Sections: []crdt.MenuSection{
		{Name: "Pizze", Products: []crdt.Product{
			prod("margherita", "Margherita", 1000, taxFood, al("gluten", "milk"), choice("extra", "Extra", 0, 1, val("burrata", "burrata", 300), val("chili-oil", "chili oil", 0))),
			prod("regina", "Regina", 1250, taxFood, al("gluten", "milk")),
			prod("calzone", "Calzone", 1300, taxFood, al("gluten", "milk", "eggs")),
			prod("ortolana", "Ortolana", 1150, taxFood, al("gluten")),
		}},
		{Name: "Dolci", Products: []crdt.Product{
			prod("tiramisu", "Tiramisu", 550, taxFood, al("gluten", "eggs", "milk")),
			prod("panna-cotta", "Panna cotta", 500, taxFood, al("milk")),
		}},
		{Name: "Drinks", Products: []crdt.Product{
			prod("pellegrino", "San Pellegrino", 300, taxSoft, nil),
			prod("chianti", "Chianti (glass)", 500, taxAlcohol, al("sulphites")),
		}},
	}},
	{Tag: "burgers", Prep: 11, Descr: "Smash burgers with local beef.", SoldOutPID: "cookie", Sections: []crdt.MenuSection{
		{Name: "Burgers", Products: []crdt.Product{
			prod("smash", "Smash burger", 1090, taxFood, al("gluten", "milk", "mustard"), choice("sauce", "Sauce", 0, 1, val("bbq", "BBQ sauce", 0), val("blue", "blue cheese sauce", 80))),
			prod("veggie", "Veggie burger", 1050, taxFood, al("gluten", "soybeans")),
			prod("chicken", "Crispy chicken burger", 1150, taxFood, al("gluten", "eggs")),
		}},
		{Name: "Sides & sweets", Products: []crdt.Product{
			prod("fries", "Fries", 350, taxFood, nil),
			prod("onion-rings", "Onion rings", 450, taxFood, al("gluten")),
			prod("cookie", "Cookie", 300, taxFood, al("gluten", "eggs", "milk")),
		}},
		{Name: "Drinks", Products: []crdt.Product{
			prod("cola", "Local cola", 300, taxSoft, nil),
			prod("ipa", "Nantes IPA", 550, taxAlcohol, al("gluten")),
		}},
	}},
	{Tag: "indian", Prep: 16, Descr: "Curries, tandoor and fresh naan.", SoldOutPID: "kulfi", Sections: []crdt.MenuSection{
		{Name: "Curries", Products: []crdt.Product{
			prod("butter-chicken", "Butter chicken", 1290, taxFood, al("milk", "nuts"), choice("naan", "Bread", 0, 1, val("naan", "naan", 250), val("cheese-naan", "cheese naan", 350))),
			prod("chana", "Chana masala", 1090, taxFood, nil, choice("naan", "Bread", 0, 1, val("naan", "naan", 250))),
			prod("dal", "Dal makhani", 990, taxFood, al("milk")),
		}},
		{Name: "Street food", Products: []crdt.Product{
			prod("samosa", "Samosas (3)", 550, taxFood, al("gluten")),
			prod("pakora", "Onion pakora", 500, taxFood, nil),
			prod("kulfi", "Pistachio kulfi", 450, taxFood, al("milk", "nuts")),
		}},
		{Name: "Drinks", Products: []crdt.Product{
			prod("lassi", "Mango lassi", 400, taxSoft, al("milk")),
			prod("kingfisher", "Kingfisher beer", 500, taxAlcohol, al("gluten")),
		}},
	}},
}

// menuFor returns a fresh copy of a cuisine's menu: callers may change it.
func menuFor(c cuisine) crdt.CatalogMenu {
	m := crdt.CatalogMenu{Sections: make([]crdt.MenuSection, len(c.Sections))}
	for i, s := range c.Sections {
		m.Sections[i] = crdt.MenuSection{Name: s.Name, Products: append([]crdt.Product(nil), s.Products...)}
	}
	return m
}

// menuCounts returns the number of sections and products.
func menuCounts(m *crdt.CatalogMenu) (sections, products int) {
	for _, s := range m.Sections {
		products += len(s.Products)
	}
	return len(m.Sections), products
}

// markSoldOut returns a copy of m with product pid sold out, and its name.
func markSoldOut(m crdt.CatalogMenu, pid string) (crdt.CatalogMenu, string, bool) {
	out := crdt.CatalogMenu{Sections: make([]crdt.MenuSection, len(m.Sections))}
	name, found := "", false
	for i, s := range m.Sections {
		out.Sections[i] = crdt.MenuSection{Name: s.Name, Products: append([]crdt.Product(nil), s.Products...)}
		for j := range out.Sections[i].Products {
			if p := &out.Sections[i].Products[j]; p.ID == pid {
				p.SoldOut, name, found = true, p.Name, true
			}
		}
	}
	return out, name, found
}

// deriveKey is the participant's Ed25519 identity: SHA-256(seed || name).
func deriveKey(seed int64, name string) ed25519.PrivateKey {
	h := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seed))
	h.Write(b[:])
	h.Write([]byte(name))
	return ed25519.NewKeyFromSeed(h.Sum(nil))
}

// around returns a position within radiusM metres of c (roughly uniform).
func around(rng *rand.Rand, c crdt.Position, radiusM int) crdt.Position {
	// 1 µdeg of latitude ≈ 0.111 m; of longitude at 47° ≈ 0.0758 m.
	for {
		dx := (rng.Float64()*2 - 1) * float64(radiusM)
		dy := (rng.Float64()*2 - 1) * float64(radiusM)
		if dx*dx+dy*dy > float64(radiusM)*float64(radiusM) {
			continue
		}
		return crdt.Position{LatE6: c.LatE6 + int32(dy/0.111), LonE6: c.LonE6 + int32(dx/0.0758)}
	}
}

// coarse rounds a position to a grid of 0.005° (about 500 m): the public
// dropoff area. The exact address would travel sealed to the restaurant.
func coarse(p crdt.Position) crdt.Position {
	r := func(v int32) int32 {
		const step = 5_000
		if v >= 0 {
			return (v + step/2) / step * step
		}
		return -((-v + step/2) / step * step)
	}
	return crdt.Position{LatE6: r(p.LatE6), LonE6: r(p.LonE6)}
}

// deliveryFeeCents is 2.50 € plus 0.80 € per km beyond the first,
// rounded to the nearest 10 cents.
func deliveryFeeCents(distanceM int) int64 {
	fee := int64(250)
	if distanceM > 1000 {
		fee += int64(distanceM-1000) * 80 / 1000
	}
	return (fee + 5) / 10 * 10
}

var tipChoices = []int64{0, 100, 150, 200, 300}

var deliveryNotes = []string{
	"ring at the blue door", "3rd floor, no lift", "leave with the concierge", "call when downstairs",
	"side entrance on the courtyard", "code 4B12 at the gate", "the bike shed door", "knock twice",
}

// cart is a customer's choice on one menu.
type cart struct {
	Items []crdt.LineItem
	Tax   int64
	Text  string // "2× Falafel wrap (+garlic sauce), 1× Lemonade"
}

// fillCart picks 1–3 distinct available products, 1–2 of each, and for
// products with options usually one value; then, like a customer told
// about the restaurant's minimum order, tops the cart up to minCents.
func fillCart(rng *rand.Rand, m *crdt.CatalogMenu, minCents int64) cart {
	var avail []crdt.Product
	for _, s := range m.Sections {
		for _, p := range s.Products {
			if p.Enabled && !p.SoldOut {
				avail = append(avail, p)
			}
		}
	}
	var c cart
	if len(avail) == 0 {
		return c
	}
	var labels []string
	var taxes []string
	n := 1 + rng.Intn(min(3, len(avail)))
	for _, i := range rng.Perm(len(avail))[:n] {
		p := avail[i]
		qty := uint32(1 + rng.Intn(2))
		if p.Alcohol {
			qty = 1
		}
		li := crdt.LineItem{Product: p.ID, Name: p.Name, Quantity: qty, UnitCents: p.PriceCents}
		label := p.Name
		for _, o := range p.Options {
			var vals []crdt.OptionValue
			for _, v := range o.Values {
				if v.Enabled {
					vals = append(vals, v)
				}
			}
			if len(vals) == 0 || o.Max == 0 || (o.Min == 0 && rng.Intn(3) == 0) {
				continue
			}
			v := vals[rng.Intn(len(vals))]
			li.Options = append(li.Options, v.ID)
			li.UnitCents += v.PriceCents
			label += " (+" + v.Name + ")"
		}
		c.Items = append(c.Items, li)
		labels = append(labels, label)
		taxes = append(taxes, p.TaxCategory)
	}
	// Under the minimum, add the dearest dish not yet in the cart, as a
	// customer would; failing that, take more of the first soft line.
	total := func() (sum int64) {
		for _, li := range c.Items {
			sum += li.UnitCents * int64(li.Quantity)
		}
		return sum
	}
	for total() < minCents {
		var best *crdt.Product
		for i := range avail {
			p := &avail[i]
			if p.Alcohol || p.PriceCents <= 0 || slices.ContainsFunc(c.Items, func(li crdt.LineItem) bool { return li.Product == p.ID }) {
				continue
			}
			if best == nil || p.PriceCents > best.PriceCents {
				best = p
			}
		}
		if best != nil && len(c.Items) < 3 {
			c.Items = append(c.Items, crdt.LineItem{Product: best.ID, Name: best.Name, Quantity: 1, UnitCents: best.PriceCents})
			labels = append(labels, best.Name)
			taxes = append(taxes, best.TaxCategory)
			continue
		}
		grow := slices.IndexFunc(taxes, func(t string) bool { return t != taxAlcohol })
		if grow < 0 || c.Items[grow].UnitCents <= 0 {
			break
		}
		c.Items[grow].Quantity++
	}
	parts := make([]string, len(c.Items))
	for i := range c.Items {
		li := &c.Items[i]
		li.TotalCents = li.UnitCents * int64(li.Quantity)
		c.Tax += includedTax(li.TotalCents, taxes[i])
		parts[i] = fmt.Sprintf("%d× %s", li.Quantity, labels[i])
	}
	c.Text = strings.Join(parts, ", ")
	return c
}

// euros formats cents as "18.50 €".
func euros(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d €", sign, cents/100, cents%100)
}

// humanBytes formats a byte count as "14.2 KB".
func humanBytes(n int) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1_000_000:
		return fmt.Sprintf("%.1f KB", float64(n)/1000)
	default:
		return fmt.Sprintf("%.2f MB", float64(n)/1e6)
	}
}

// humanDistance formats metres as "850 m" or "1.3 km".
func humanDistance(m int) string {
	if m < 1000 {
		return fmt.Sprintf("%d m", m)
	}
	return fmt.Sprintf("%.1f km", float64(m)/1000)
}

// plural writes "1 order" or "3 orders" ("2 addresses").
func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	if strings.HasSuffix(one, "s") {
		return fmt.Sprintf("%d %ses", n, one)
	}
	return fmt.Sprintf("%d %ss", n, one)
}

// joinNames writes "Zoé", "Zoé and Malik" or "Zoé, Malik and Inès".
func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
