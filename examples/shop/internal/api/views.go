package api

import (
	"encoding/json"
	"strings"

	"github.com/wxpay-go/wxpay/examples/shop/internal/money"
	"github.com/wxpay-go/wxpay/examples/shop/internal/store"
)

// orderView is the orderInfo of the protocol: an order in a list, the
// answer to a create, and the orderInfo of a detail.
type orderView struct {
	ID              int64     `json:"id"`
	OrderNumber     string    `json:"orderNumber"`
	UID             int64     `json:"uid"`
	Status          int       `json:"status"`
	StatusStr       string    `json:"statusStr"`
	Amount          money.Fen `json:"amount"`
	AmountLogistics money.Fen `json:"amountLogistics"`
	AmountReal      money.Fen `json:"amountReal"`
	AmountRefund    money.Fen `json:"amountRefund"`
	Score           int64     `json:"score"`
	GoodsNumber     int64     `json:"goodsNumber"`
	Remark          string    `json:"remark"`
	PeisongType     string    `json:"peisongType"`
	IsNeedLogistics bool      `json:"isNeedLogistics"`
	IsCanHx         bool      `json:"isCanHx"`
	HxNumber        string    `json:"hxNumber"`
	IsPay           bool      `json:"isPay"`
	IsEnd           bool      `json:"isEnd"`
	HasRefund       bool      `json:"hasRefund"`
	RefundStatus    int       `json:"refundStatus"`
	Type            int       `json:"type"`
	InvoiceID       int64     `json:"invoiceId"`
	DateAdd         string    `json:"dateAdd"`
	DatePay         string    `json:"datePay,omitempty"`
	DateUpdate      string    `json:"dateUpdate"`
}

func viewOrder(o *store.Order) orderView {
	return orderView{
		ID: o.ID, OrderNumber: o.OrderNumber, UID: o.UserID, Status: o.Status, StatusStr: store.StatusText(o.Status),
		Amount: o.Amount, AmountLogistics: o.AmountLogistics, AmountReal: o.AmountReal, AmountRefund: o.AmountRefunded,
		GoodsNumber: o.GoodsNumber, Remark: o.Remark, PeisongType: o.PeisongType,
		IsNeedLogistics: o.NeedLogistics, IsCanHx: o.CanHX, HxNumber: o.HXNumber,
		IsPay:     o.DatePay != "",
		IsEnd:     o.Status == store.StatusDone || o.Status == store.StatusClosed,
		HasRefund: o.HasRefund, RefundStatus: o.RefundStatus,
		DateAdd: o.DateAdd, DatePay: o.DatePay, DateUpdate: o.DateUpdate,
	}
}

// lineView is an order goods, in goodsMap and in a detail's goods[].
type lineView struct {
	ID               int64     `json:"id"` // the orderGoodsId of after-sales and reviews
	OrderID          int64     `json:"orderId"`
	GoodsID          int64     `json:"goodsId"`
	GoodsName        string    `json:"goodsName"`
	Pic              string    `json:"pic"`
	Number           int64     `json:"number"`
	Amount           money.Fen `json:"amount"`
	AmountSingle     money.Fen `json:"amountSingle"`
	AmountRefund     money.Fen `json:"amountRefund"`
	Property         string    `json:"property"`
	PropertyChildIDs string    `json:"propertyChildIds"`
	AfterSale        string    `json:"afterSale"`
	RefundStatus     int       `json:"refundStatus"`
	IsReputation     bool      `json:"isReputation"`
	Score            int64     `json:"score"`
	Status           int       `json:"status"`
}

func (s *Server) viewLines(o *store.Order) []lineView {
	out := make([]lineView, len(o.Lines))
	for i, l := range o.Lines {
		out[i] = lineView{
			ID: l.ID, OrderID: l.OrderID, GoodsID: l.GoodsID, GoodsName: l.GoodsName, Pic: s.picURL(l.Pic),
			Number: l.Number, Amount: l.Amount, AmountSingle: l.AmountSingle, AmountRefund: l.Refunded,
			Property: l.Property, PropertyChildIDs: l.PropertyChildIDs, AfterSale: l.AfterSale,
			RefundStatus: l.RefundStatus, IsReputation: l.Reviewed, Status: o.Status,
		}
	}
	return out
}

// logisticsView is where an order goes. The shop keeps no region table,
// so the *Str names are empty and the region ids come back as sent.
type logisticsView struct {
	LinkMan        string `json:"linkMan"`
	Mobile         string `json:"mobile"`
	Address        string `json:"address"`
	Code           string `json:"code"`
	ProvinceID     string `json:"provinceId"`
	CityID         string `json:"cityId"`
	DistrictID     string `json:"districtId"`
	StreetID       string `json:"streetId"`
	ProvinceStr    string `json:"provinceStr"`
	CityStr        string `json:"cityStr"`
	AreaStr        string `json:"areaStr"`
	StreetStr      string `json:"streetStr"`
	ShipperName    string `json:"shipperName"`
	TrackingNumber string `json:"trackingNumber"`
}

func viewLogistics(o *store.Order) *logisticsView {
	a := o.Address
	if !o.NeedLogistics && a.Address == "" {
		return nil
	}
	return &logisticsView{
		LinkMan: a.LinkMan, Mobile: a.Mobile, Address: a.Address, Code: a.Code,
		ProvinceID: a.ProvinceID, CityID: a.CityID, DistrictID: a.DistrictID, StreetID: a.StreetID,
		ShipperName: o.ShipperName, TrackingNumber: o.TrackingNumber,
	}
}

// applyView is one after-sale application: {baseInfo, pics[]}.
type applyView struct {
	BaseInfo applyBaseInfo       `json:"baseInfo"`
	Pics     []map[string]string `json:"pics"`
}

type applyBaseInfo struct {
	ID                 int64     `json:"id"`
	OrderID            int64     `json:"orderId"`
	OrderGoodsID       int64     `json:"orderGoodsId"`
	UID                int64     `json:"uid"`
	Number             int64     `json:"number"`
	Amount             money.Fen `json:"amount"`
	Type               int       `json:"type"`
	TypeStr            string    `json:"typeStr"`
	LogisticsStatus    int       `json:"logisticsStatus"`
	LogisticsStatusStr string    `json:"logisticsStatusStr"`
	Reason             string    `json:"reason"`
	Remark             string    `json:"remark"`
	Status             int       `json:"status"`
	StatusStr          string    `json:"statusStr"`
	Status2            int       `json:"status2"`
	LogisticsContent   string    `json:"logisticsContent"`
	MerchantRemark     string    `json:"merchantRemark,omitempty"`
	DateAdd            string    `json:"dateAdd"`
	DateUpdate         string    `json:"dateUpdate"`
}

func viewApply(a *store.RefundApply) applyView {
	pics := []map[string]string{}
	for _, p := range a.Pics {
		pics = append(pics, map[string]string{"pic": p})
	}
	return applyView{Pics: pics, BaseInfo: applyBaseInfo{
		ID: a.ID, OrderID: a.OrderID, OrderGoodsID: a.OrderGoodsID, UID: a.UserID, Number: a.Number, Amount: a.Amount,
		Type: a.Type, TypeStr: store.AfterSaleTypeText(a.Type),
		LogisticsStatus: a.LogisticsStatus, LogisticsStatusStr: store.LogisticsStatusText(a.LogisticsStatus),
		Reason: a.Reason, Remark: a.Remark, Status: a.Status, StatusStr: store.ApplyStatusText(a.Status), Status2: a.Status2,
		LogisticsContent: a.LogisticsContent, MerchantRemark: a.MerchantRemark, DateAdd: a.DateAdd, DateUpdate: a.DateUpdate,
	}}
}

// extJSON returns an order's extJsonStr as the object it holds.
func extJSON(s string) any {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var v map[string]any
	if json.Unmarshal([]byte(s), &v) != nil {
		return nil
	}
	return v
}
