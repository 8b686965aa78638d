package api

import (
	"fmt"
	"hash/fnv"
	"html"
	"net/http"
	"strings"

	"github.com/wxpay-go/wxpay/examples/shop/internal/money"
	"github.com/wxpay-go/wxpay/examples/shop/internal/store"
)

// goodsView is a goods in a list, and the basicInfo of a detail.
type goodsView struct {
	ID            int64     `json:"id"`
	Name          string    `json:"name"`
	Pic           string    `json:"pic"`
	MinPrice      money.Fen `json:"minPrice"`
	OriginalPrice money.Fen `json:"originalPrice"`
	MinScore      int64     `json:"minScore"`
	Stores        int64     `json:"stores"`
	MinBuyNumber  int64     `json:"minBuyNumber"`
	ShopID        int64     `json:"shopId"`
	LogisticsID   int64     `json:"logisticsId"`
	Status        int       `json:"status"`
	StatusStr     string    `json:"statusStr"`
	AfterSale     string    `json:"afterSale"`
	DateAdd       string    `json:"dateAdd"`
}

func (s *Server) goodsView(g *store.Goods) goodsView {
	v := goodsView{
		ID: g.ID, Name: g.Name, Pic: s.picURL(g.Pic), MinPrice: g.MinPrice, OriginalPrice: g.MinOriginalPrice,
		Stores: g.Stock, MinBuyNumber: g.MinBuy, Status: g.Status, StatusStr: "上架", AfterSale: g.AfterSale, DateAdd: g.DateAdd,
	}
	if g.Status != 0 {
		v.StatusStr = "下架"
	}
	if g.NeedLogistics {
		v.LogisticsID = 1
	}
	return v
}

func (s *Server) listGoods(c *call) ([]goodsView, int, int, error) {
	page, size := c.p.page(20)
	gs, total, err := s.st.ListGoods(c.ctx, store.GoodsFilter{NameLike: c.p.str("nameLike"), Page: page, PageSize: size})
	if err != nil {
		return nil, 0, 0, err
	}
	if len(gs) == 0 {
		return nil, 0, 0, noData("商品")
	}
	out := make([]goodsView, len(gs))
	for i := range gs {
		out[i] = s.goodsView(&gs[i])
	}
	return out, total, (total + size - 1) / size, nil
}

// goodsList: data is the array.
func (s *Server) goodsList(c *call) (any, error) {
	gs, _, _, err := s.listGoods(c)
	return gs, err
}

// goodsListV2: data.result is the array.
func (s *Server) goodsListV2(c *call) (any, error) {
	gs, total, pages, err := s.listGoods(c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"result": gs, "totalRow": total, "totalPage": pages}, nil
}

// goodsOf reads the goods named by the parameter param.
func (s *Server) goodsOf(c *call, param string) (*store.GoodsDetail, error) {
	id := c.p.id(param)
	if c.p.err != nil {
		return nil, c.p.err
	}
	return s.st.GoodsDetail(c.ctx, id)
}

func (s *Server) goodsDetail(c *call) (any, error) {
	d, err := s.goodsOf(c, "id")
	if err != nil {
		return nil, err
	}
	type child struct {
		ID         int64  `json:"id"`
		Name       string `json:"name"`
		PropertyID int64  `json:"propertyId"`
	}
	type property struct {
		ID             int64   `json:"id"`
		Name           string  `json:"name"`
		ChildsCurGoods []child `json:"childsCurGoods"`
	}
	type sku struct {
		GoodsID          int64     `json:"goodsId"`
		PropertyChildIDs string    `json:"propertyChildIds"`
		Price            money.Fen `json:"price"`
		OriginalPrice    money.Fen `json:"originalPrice"`
		Score            int64     `json:"score"`
		Stores           int64     `json:"stores"`
	}
	out := struct {
		BasicInfo  goodsView           `json:"basicInfo"`
		Pics       []map[string]string `json:"pics"`
		Content    string              `json:"content"`
		Logistics  any                 `json:"logistics,omitempty"`
		Properties []property          `json:"properties,omitempty"`
		SKUList    []sku               `json:"skuList,omitempty"`
	}{
		BasicInfo: s.goodsView(&d.Goods),
		Pics:      []map[string]string{{"pic": s.picURL(d.Pic)}},
		Content:   d.Content,
	}
	if d.NeedLogistics {
		out.Logistics = map[string]any{"isFree": true, "feeType": 0, "feeTypeStr": "按件数", "details": []any{}}
	}
	for _, p := range d.Properties {
		pv := property{ID: p.ID, Name: p.Name}
		for _, ch := range p.Children {
			pv.ChildsCurGoods = append(pv.ChildsCurGoods, child{ID: ch.ID, Name: ch.Name, PropertyID: p.ID})
		}
		out.Properties = append(out.Properties, pv)
	}
	if len(d.Properties) > 0 {
		for _, k := range d.SKUs {
			// The trailing comma is how the goods page spells its buy-now
			// selection; the store accepts every spelling.
			out.SKUList = append(out.SKUList, sku{GoodsID: d.ID, PropertyChildIDs: k.PropertyChildIDs + ",",
				Price: k.Price, OriginalPrice: k.OriginalPrice, Stores: k.Stock})
		}
	}
	return out, nil
}

// goodsPrice prices one SKU.
func (s *Server) goodsPrice(c *call) (any, error) {
	d, err := s.goodsOf(c, "goodsId")
	if err != nil {
		return nil, err
	}
	k, err := d.SKU(c.p.str("propertyChildIds"))
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"goodsId": d.ID, "price": k.Price, "originalPrice": k.OriginalPrice, "pingtuanPrice": 0, "score": 0,
		"stores": k.Stock, "propertyChildIds": k.PropertyChildIDs, "propertyChildNames": k.PropertyNames,
	}, nil
}

// goodsPicture draws the placeholder picture of a demo goods: a coloured
// square with the file's name, so the demo shop needs no image hosting.
func (s *Server) goodsPicture(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("name"), ".svg")
	if !ok || name == "" || len(name) > 40 {
		http.NotFound(w, r)
		return
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	hue := h.Sum32() % 360
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400">`+
		`<rect width="400" height="400" fill="hsl(%d,60%%,70%%)"/>`+
		`<text x="200" y="215" font-size="48" text-anchor="middle" fill="#333" font-family="sans-serif">%s</text></svg>`,
		hue, html.EscapeString(name))
}
