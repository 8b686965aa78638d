package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/wxpay-go/wxpay/examples/shop/internal/money"
)

// Goods is an item of the catalogue, with the summary of its SKUs.
type Goods struct {
	ID            int64
	Name          string
	Pic           string // a URL, or a path under the shop's own address
	Content       string // HTML description
	MinBuy        int64
	NeedLogistics bool
	AfterSale     string // allowed after-sale types, "0,1,2"
	Status        int    // 0 on sale, 1 off the shelf
	DateAdd       string

	MinPrice         money.Fen // the cheapest SKU
	MinOriginalPrice money.Fen
	Stock            int64 // all SKUs together
}

// Property is a SKU dimension of a goods (颜色, 尺码) with its values.
type Property struct {
	ID       int64
	Name     string
	Children []PropertyChild
}

// PropertyChild is one value of a Property (红色, M).
type PropertyChild struct {
	ID         int64
	PropertyID int64
	Name       string
}

// SKU is one purchasable variant of a goods: a combination of property
// values, or the goods itself when it has no properties.
type SKU struct {
	ID               int64
	GoodsID          int64
	PropertyChildIDs string // normalized "propId:childId,…", "" for none
	PropertyNames    string // "颜色:红色,尺码:M"
	Price            money.Fen
	OriginalPrice    money.Fen
	Stock            int64
}

// GoodsDetail is a goods with its properties and SKUs.
type GoodsDetail struct {
	Goods
	Properties []Property
	SKUs       []SKU
}

// NormalizeSKU turns the client's propertyChildIds — "4:15,2:10,",
// ",4:15,2:10" or "" — into the store's key: pairs sorted by property id,
// comma-separated, no empty segments. It reports false for a malformed
// value or a property given twice.
func NormalizeSKU(s string) (string, bool) {
	type pair struct{ p, c int64 }
	var ps []pair
	seen := map[int64]bool{}
	for _, seg := range strings.Split(s, ",") {
		seg = strings.TrimSpace(seg)
		if seg == "" {
			continue
		}
		a, b, ok := strings.Cut(seg, ":")
		p, err1 := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
		c, err2 := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
		if !ok || err1 != nil || err2 != nil || p <= 0 || c <= 0 || seen[p] {
			return "", false
		}
		seen[p] = true
		ps = append(ps, pair{p, c})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].p < ps[j].p })
	parts := make([]string, len(ps))
	for i, x := range ps {
		parts[i] = fmt.Sprintf("%d:%d", x.p, x.c)
	}
	return strings.Join(parts, ","), true
}

const goodsColumns = `g.id, g.name, g.pic, g.content, g.min_buy, g.need_logistics, g.after_sale, g.status, g.date_add,
	(SELECT MIN(price) FROM goods_skus s WHERE s.goods_id = g.id),
	(SELECT MIN(original_price) FROM goods_skus s WHERE s.goods_id = g.id),
	(SELECT SUM(stock) FROM goods_skus s WHERE s.goods_id = g.id)`

func scanGoods(r interface{ Scan(...any) error }) (Goods, error) {
	var g Goods
	var needLogistics int
	var minPrice, minOriginal, stock sql.NullInt64
	err := r.Scan(&g.ID, &g.Name, &g.Pic, &g.Content, &g.MinBuy, &needLogistics, &g.AfterSale, &g.Status, &g.DateAdd,
		&minPrice, &minOriginal, &stock)
	g.NeedLogistics = needLogistics == 1
	g.MinPrice, g.MinOriginalPrice, g.Stock = money.Fen(minPrice.Int64), money.Fen(minOriginal.Int64), stock.Int64
	return g, err
}

// GoodsFilter selects goods for ListGoods.
type GoodsFilter struct {
	NameLike string
	Page     int // from 1
	PageSize int
}

// ListGoods returns a page of the goods on sale and how many there are.
func (s *Store) ListGoods(ctx context.Context, f GoodsFilter) ([]Goods, int, error) {
	where, args := "g.status = 0", []any{}
	if f.NameLike != "" {
		where += " AND g.name LIKE ?"
		args = append(args, "%"+f.NameLike+"%")
	}
	q := s.q(ctx)
	var total int
	if err := q.row(`SELECT COUNT(*) FROM goods g WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count goods: %w", err)
	}
	rows, err := q.query(`SELECT `+goodsColumns+` FROM goods g WHERE `+where+` ORDER BY g.id LIMIT ? OFFSET ?`,
		append(args, f.PageSize, (f.Page-1)*f.PageSize)...)
	gs, err := scanAll(rows, err, func(r *sql.Rows) (Goods, error) { return scanGoods(r) })
	if err != nil {
		return nil, 0, fmt.Errorf("store: list goods: %w", err)
	}
	return gs, total, nil
}

// GoodsDetail returns one goods with its properties and SKUs, whether on
// sale or not.
func (s *Store) GoodsDetail(ctx context.Context, id int64) (*GoodsDetail, error) {
	return s.goodsDetail(s.q(ctx), id)
}

func (s *Store) goodsDetail(q q, id int64) (*GoodsDetail, error) {
	g, err := scanGoods(q.row(`SELECT `+goodsColumns+` FROM goods g WHERE g.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fail(NotFound, "商品不存在 (no goods %d)", id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: goods %d: %w", id, err)
	}
	d := &GoodsDetail{Goods: g}
	rows, err := q.query(`SELECT p.id, p.name, c.id, c.name FROM goods_properties p
		JOIN goods_property_children c ON c.property_id = p.id WHERE p.goods_id = ? ORDER BY p.id, c.id`, id)
	children, err := scanAll(rows, err, func(r *sql.Rows) (struct {
		pname string
		c     PropertyChild
	}, error) {
		var x struct {
			pname string
			c     PropertyChild
		}
		return x, r.Scan(&x.c.PropertyID, &x.pname, &x.c.ID, &x.c.Name)
	})
	if err != nil {
		return nil, fmt.Errorf("store: properties of goods %d: %w", id, err)
	}
	names := map[string]string{} // "p:c" → "属性:值"
	for _, x := range children {
		if n := len(d.Properties); n == 0 || d.Properties[n-1].ID != x.c.PropertyID {
			d.Properties = append(d.Properties, Property{ID: x.c.PropertyID, Name: x.pname})
		}
		p := &d.Properties[len(d.Properties)-1]
		p.Children = append(p.Children, x.c)
		names[fmt.Sprintf("%d:%d", x.c.PropertyID, x.c.ID)] = x.pname + ":" + x.c.Name
	}
	rows, err = q.query(`SELECT id, goods_id, property_child_ids, price, original_price, stock FROM goods_skus WHERE goods_id = ? ORDER BY id`, id)
	d.SKUs, err = scanAll(rows, err, func(r *sql.Rows) (SKU, error) {
		var k SKU
		err := r.Scan(&k.ID, &k.GoodsID, &k.PropertyChildIDs, &k.Price, &k.OriginalPrice, &k.Stock)
		var parts []string
		for _, pc := range strings.Split(k.PropertyChildIDs, ",") {
			if pc != "" {
				parts = append(parts, names[pc])
			}
		}
		k.PropertyNames = strings.Join(parts, ",")
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: SKUs of goods %d: %w", id, err)
	}
	return d, nil
}

// SKU finds the variant of d that propertyChildIDs (in any of the client's
// spellings) names. Goods with properties need a value for each.
func (d *GoodsDetail) SKU(propertyChildIDs string) (*SKU, error) {
	key, ok := NormalizeSKU(propertyChildIDs)
	if !ok {
		return nil, fail(Invalid, "规格参数格式错误 (malformed propertyChildIds %q)", propertyChildIDs)
	}
	for i := range d.SKUs {
		if d.SKUs[i].PropertyChildIDs == key {
			return &d.SKUs[i], nil
		}
	}
	if key == "" && len(d.Properties) > 0 {
		return nil, fail(Invalid, "请选择商品规格 (%s needs propertyChildIds)", d.Name)
	}
	return nil, fail(NotFound, "商品规格不存在 (%s has no SKU %q)", d.Name, propertyChildIDs)
}
