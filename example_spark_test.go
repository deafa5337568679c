package ghost_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/ghostanalytics/ghost-go/ghosttest"
)

// The Spark Pay store through client.Spark: typed products with their
// nested variants, an upsert, the store's customers, and manual paging.
func ExampleSparkClient() {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileSpark), ghosttest.WithSeed(3))
	defer srv.Close()
	spark := srv.Client.Spark // the store's endpoint and X-AC-Auth-Token
	ctx := context.Background()

	var resp ghost.Response
	page, err := spark.Products.List(ctx, &ghost.SparkListParams{
		Count:   2,
		Sort:    []ghost.SparkSortField{ghost.SparkDesc("price")},
		Filters: []ghost.SparkFilter{ghost.SparkWhere("price", ghost.SparkOpGTE, 20)},
		Expand:  []string{"variants"},
	}, ghost.WithResponse(&resp))
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range page.Items {
		variants, _ := p.Variants.Items()
		fmt.Println(p.ItemName, p.Price, len(variants), "variants")
	}
	fmt.Println("total:", page.Meta.Total.Or(0), "calls used:", resp.CallLimit.Used)

	// Not expanded, a nested collection says so; its own list fetches it.
	p, err := spark.Products.Get(ctx, ghost.IntID(1), nil)
	if err != nil {
		log.Fatal(err)
	}
	variants, err := spark.Products.ListVariants(ctx, p.ID, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.ItemName, "variants:", p.Variants, "then", len(variants.Items))

	hat, created, err := spark.Products.Upsert(ctx, ghost.SparkProduct{ItemName: "Hat", Price: ghost.SparkDecimalFromCents(1250)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created:", created, hat.ID, hat.Price)
	hat, err = spark.Products.Update(ctx, hat.ID, ghost.SparkProductUpdateParams{Price: ghost.Some(ghost.SparkDecimalFromCents(999))})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("now:", hat.Price)

	// Variants are the root resource /api/v1/product_variants; one adjusts
	// its product's price.
	large, _, err := spark.Variants.Upsert(ctx, ghost.SparkVariant{
		ProductID: hat.ID, VariantGroupID: ghost.IntID(1), Description: "Large",
		PriceAdjustment: ghost.SparkDecimalFromCents(200), PriceAdjustmentType: "+ dollars",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("variant:", large.Description, large.PriceAdjustmentType, large.PriceAdjustment)

	cu, created, err := spark.Customers.Upsert(ctx, ghost.SparkCustomer{Email: "ada@example.com", FirstName: "Ada"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("customer:", cu.ID, cu.FirstName, "created:", created)

	// Manual paging: NextPage follows next_page until it returns nil.
	customers, err := spark.Customers.List(ctx, &ghost.SparkListParams{Count: 3})
	for customers != nil && err == nil {
		fmt.Println("page", customers.Meta.Page.Or(0), "has", len(customers.Items))
		customers, err = spark.Customers.NextPage(ctx, customers)
	}
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// Item 3 30.99 2 variants
	// Item 2 20.99 2 variants
	// total: 2 calls used: 1
	// Item 1 variants: absent then 2
	// created: true 4 12.50
	// now: 9.99
	// variant: Large + dollars 2.00
	// customer: 4 Ada created: true
	// page 1 has 3
	// page 2 has 1
}

// Any other root resource of the store is reachable with SparkResource and
// a model of your own.
func ExampleSparkResource() {
	srv := ghosttest.NewServer(ghosttest.WithProfile(ghosttest.ProfileSpark), ghosttest.WithSeed(2))
	defer srv.Close()

	type category struct {
		ID   ghost.ID `json:"id"`
		Name string   `json:"name"`
	}
	categories := ghost.SparkResource[category](srv.Client.Spark, "categories")
	for c, err := range categories.All(context.Background(), &ghost.SparkListParams{Count: 1}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(c.ID, c.Name)
	}
	// Output:
	// 1 Category 1
	// 2 Category 2
}

// A nested collection keeps the form it arrived in: here a product from a
// webhook payload whose categories are a link and whose variants are filled.
func ExampleSparkNested() {
	payload := `{"id":1,"item_name":"Shirt","price":19.99,
		"categories":{"link":"https://mystore.example/api/v1/products/1/categories"},
		"variants":[{"id":3,"product_id":1,"description":"S"}]}`
	var p ghost.SparkProduct
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		log.Fatal(err)
	}
	if _, ok := p.Categories.Items(); !ok {
		fmt.Println("categories at", p.Categories.Link())
	}
	if vs, ok := p.Variants.Items(); ok {
		fmt.Println("variant", vs[0].Description)
	}
	out, _ := json.Marshal(struct {
		Categories ghost.SparkNested[ghost.SparkCategory] `json:"categories"`
	}{p.Categories})
	fmt.Println(string(out))
	// Output:
	// categories at https://mystore.example/api/v1/products/1/categories
	// variant S
	// {"categories":{"link":"https://mystore.example/api/v1/products/1/categories"}}
}
