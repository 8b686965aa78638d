package store

import (
	"context"
	"fmt"

	"github.com/wxpay-go/wxpay/examples/shop/internal/money"
)

// demoGoods is the catalogue an empty shop starts with: one goods with
// two SKU properties, one that needs no delivery (picked up in store and
// written off with a code), and plain goods; every SKU has stock ≥ 10.
var demoGoods = []struct {
	name, pic, content string
	needLogistics      bool
	props              []demoProp
	price, original    money.Fen // goods without properties
	stock              int64
	skus               []demoSKU // goods with properties
}{
	{
		name: "经典纯棉T恤", pic: "/static/goods/tshirt.svg", needLogistics: true,
		content: "<p>100% 棉，两色两码。</p>",
		props:   []demoProp{{"颜色", []string{"白色", "黑色"}}, {"尺码", []string{"M", "L"}}},
		skus: []demoSKU{
			{[]int{0, 0}, 5900, 7900, 20}, {[]int{0, 1}, 6900, 7900, 15},
			{[]int{1, 0}, 5900, 7900, 12}, {[]int{1, 1}, 6900, 7900, 10},
		},
	},
	{name: "手冲咖啡豆 250g", pic: "/static/goods/beans.svg", needLogistics: true,
		content: "<p>埃塞俄比亚耶加雪菲，浅烘。</p>", price: 6800, original: 8800, stock: 50},
	{name: "不锈钢保温杯 500ml", pic: "/static/goods/cup.svg", needLogistics: true,
		content: "<p>12 小时保温。</p>", price: 12950, original: 15900, stock: 30},
	{name: "帆布托特包", pic: "/static/goods/bag.svg", needLogistics: true,
		content: "<p>加厚帆布，可装 A4。</p>", price: 3990, original: 4990, stock: 10},
	{name: "到店自取 · 拿铁咖啡券", pic: "/static/goods/latte.svg", needLogistics: false,
		content: "<p>到店出示核销码兑换一杯拿铁。</p>", price: 1880, original: 2800, stock: 100},
}

type demoProp struct {
	name   string
	values []string
}

type demoSKU struct {
	values          []int // index into each property's values
	price, original money.Fen
	stock           int64
}

// SeedDemo fills an empty catalogue with the demo goods, and reports
// whether it did. A catalogue with any goods is left alone.
func (s *Store) SeedDemo(ctx context.Context) (bool, error) {
	seeded := false
	err := s.tx(ctx, func(q q) error {
		var n int
		if err := q.row(`SELECT COUNT(*) FROM goods`).Scan(&n); err != nil || n > 0 {
			return err
		}
		seeded = true
		for _, g := range demoGoods {
			needLogistics := 0
			if g.needLogistics {
				needLogistics = 1
			}
			gid, err := q.insert(`INSERT INTO goods (name, pic, content, need_logistics, date_add) VALUES (?, ?, ?, ?, ?)`,
				g.name, g.pic, g.content, needLogistics, s.stamp())
			if err != nil {
				return err
			}
			if len(g.props) == 0 {
				if _, err := q.exec(`INSERT INTO goods_skus (goods_id, property_child_ids, price, original_price, stock) VALUES (?, '', ?, ?, ?)`,
					gid, g.price, g.original, g.stock); err != nil {
					return err
				}
				continue
			}
			ids := make([][]string, len(g.props)) // "propId:childId" per property and value
			for i, p := range g.props {
				pid, err := q.insert(`INSERT INTO goods_properties (goods_id, name) VALUES (?, ?)`, gid, p.name)
				if err != nil {
					return err
				}
				for _, v := range p.values {
					cid, err := q.insert(`INSERT INTO goods_property_children (property_id, name) VALUES (?, ?)`, pid, v)
					if err != nil {
						return err
					}
					ids[i] = append(ids[i], fmt.Sprintf("%d:%d", pid, cid))
				}
			}
			for _, k := range g.skus {
				var key string
				for i, v := range k.values {
					if i > 0 {
						key += ","
					}
					key += ids[i][v]
				}
				key, _ = NormalizeSKU(key)
				if _, err := q.exec(`INSERT INTO goods_skus (goods_id, property_child_ids, price, original_price, stock) VALUES (?, ?, ?, ?, ?)`,
					gid, key, k.price, k.original, k.stock); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: seed demo goods: %w", err)
	}
	return seeded, nil
}
