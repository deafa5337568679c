package ghost

// CartsService serves carts and payment links (Checkout API).
type CartsService service
