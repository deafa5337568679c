// The field names and JSON types of each schema the Spark mock models, as
// the Spark (AmeriCommerce) API's public OpenAPI description writes them:
// components/schemas of acapi.yaml in github.com/AmeriCommerce/rest-api
// (pinned as test data in contract/testdata/acapi.yaml). There is no
// generator: contract/acapi's tests compare what the mock serves with that
// document, so an edit that drifts from it fails there.

package ghosttest

// sparkAPIFields maps a schema to its fields, "name:type" in the
// description's order; type is integer, number, string, boolean, array or
// object, or guid (one field: cart_product_id, a string).
var sparkAPIFields = map[string]string{
	"products": "" +
		"id:integer item_number:string manufacturer_id:integer manufacturer_part_number:string " +
		"primary_category_id:integer product_status_id:integer item_name:string bullets:string " +
		"short_description:string long_description_2:string long_description_3:string " +
		"long_description_4:string long_description_5:string height:string length:string " +
		"width:string size_unit:string weight:number weight_unit:string cost:number price:number " +
		"retail:number minimum_quantity:integer maximum_quantity:integer is_spotlight_item:integer " +
		"quantity_on_hand:integer keywords:string is_non_taxable:integer " +
		"is_shipped_individually:integer is_hidden:integer sort_order:integer e_product_type:string " +
		"e_product_url:string e_product_password:string " +
		"e_product_verification_link_expiration:integer e_product_email:string " +
		"e_product_allow_multiple_deliveries:integer warehouse_id:integer call_for_shipping:integer " +
		"quickbooks_item_id:string call_for_pricing:integer rate_adjustment_type:string " +
		"meta_description:string page_title:string use_tabs:boolean related_name:string " +
		"override_theme_use_tabs:boolean long_description_tab_name_1:string " +
		"long_description_tab_name_2:string long_description_tab_name_3:string " +
		"long_description_tab_name_4:string long_description_tab_name_5:string " +
		"long_description_1:string is_non_shipping_item:boolean e_product_delivery_action:string " +
		"use_variant_inventory:boolean is_featured_item:boolean " +
		"long_description_external_url_1:string long_description_external_url_2:string " +
		"long_description_external_url_3:string long_description_external_url_4:string " +
		"long_description_external_url_5:string bullets_external_url:string custom_flag_1:boolean " +
		"custom_flag_2:boolean custom_flag_3:boolean custom_flag_4:boolean custom_flag_5:boolean " +
		"created_at:string updated_at:string url_rewrite:string is_kit:boolean " +
		"is_child_product:boolean is_non_inventory:boolean is_discontinued:boolean eta_date:string " +
		"quantity_on_order:integer available_region_id:integer " +
		"call_for_shipping_on_whole_order:boolean break_out_shipping:boolean " +
		"shipping_classification_code:string exclude_parent_from_display:boolean drop_ship:boolean " +
		"no_price_mask:string starting_quantity:integer tax_code:string use_map_pricing:boolean " +
		"last_item_number:string has_visible_variants:boolean " +
		"product_rating_dimension_group_override_id:integer average_review_rating:number " +
		"review_count:integer exclude_children_from_display:boolean use_pricing_from_parent:boolean " +
		"low_stock_warning_threshold:integer enable_low_stock_warning:boolean " +
		"do_not_discount:boolean head_tags:string handling_fee:number custom_upsell_url:string " +
		"e_product_serial_number_file_path:string hide_variant_surcharges:boolean " +
		"quantity_increment:integer gtin:string add_to_cart_message:string " +
		"is_subscription_product:boolean subscription_frequency:integer " +
		"subscription_frequency_type:string e_product_generic_username:string " +
		"e_product_generic_password:string shipping_override:number insurance_cost:number " +
		"exclude_from_commissions:boolean days_until_reorder_allowed:integer " +
		"force_separate_order:boolean approval_required:boolean " +
		"in_stock_notification_email_template_id:integer inelligible_for_purchase_by_points:boolean " +
		"earns_points:boolean additional_points_earned:integer " +
		"allowed_variable_subscription_types:string profile_id:integer is_linked_product:boolean " +
		"master_product_id:integer do_not_send_review_request:boolean pack_slip_sort_order:integer " +
		"is_enable_variants_on_parent:boolean is_hide_children_on_parent:boolean " +
		"cart_product_id:guid enabled_configurator:string material_code:string " +
		"product_line_code:string ext_update_date:string additional_attributes:string " +
		"shipper_hq_shipping_groups:string shipper_hq_dimensional_rule_groups:string " +
		"shipper_hq_packing_boxes:string freight_class:string hs_code:string coo:string hts:string " +
		"is_exempt_from_min_order_amount:boolean category_list:string variants:array",
	"product_variants": "" +
		"id:integer product_id:integer variant_group_id:integer description:string " +
		"price_adjustment:integer price_adjustment_type:string sort_order:integer " +
		"item_number_extension:string item_number_sort_order:integer is_hidden:boolean " +
		"weight:number weight_type:string updated_at:string created_at:string " +
		"is_default_selection:boolean swatch_file:string swatch_thumbnail:string " +
		"swatch_thumbnail_color:string",
	"categories": "" +
		"id:integer name:string short_description:string sort_order:integer is_hidden:boolean " +
		"parent_category_id:integer max_quantity:integer category_thumbnail:string " +
		"page_title:string lookup_path:string keywords:string meta_description:string " +
		"category_image:string external_content_url:string is_category_content_displayed:boolean " +
		"are_subcategory_products_displayed:boolean url_rewrite:string updated_at:string " +
		"created_at:string default_product_picture:string alternate_thumbnail:string " +
		"head_tags:string cat_image_alt_text:string thumb_image_alt_text:string " +
		"is_hide_from_site_maps:boolean",
	"customers": "" +
		"id:integer customer_number:string last_name:string first_name:string email:string " +
		"phone_number:string registered_at:string last_visit_at:string adcode:string " +
		"adcode_id:integer affiliate_id:integer customer_type_id:integer is_no_tax_customer:boolean " +
		"comments:string store_id:integer source:string search_string:string no_account:boolean " +
		"sales_person:string alternate_phone_number:string is_affiliate_customer:boolean " +
		"updated_at:string created_at:string username:string is_contact_information_only:boolean " +
		"tax_exemption_number:string company:string source_group:string " +
		"sales_person_user_id:integer store_payment_methods_enabled:array tax_rate:number " +
		"lock_default_address:boolean reward_tier_id:integer payment_net_term:integer " +
		"credit_limit:number is_inactive:boolean use_shared_credit_limit:boolean " +
		"override_shared_credit_limit:boolean customer_payment_methods_availability:array " +
		"default_payment_type_name:string",
	"orders": "" +
		"id:integer customer_id:integer customer_type_id:integer adcode:string ordered_at:string " +
		"order_status_id:integer special_instructions:string subtotal:integer tax_total:number " +
		"shipping_total:integer discount_total:integer grand_total:number cost_total:integer " +
		"selected_shipping_method:string ip_address:string exported_to_accounting_system:integer " +
		"referrer:string order_shipping_address_id:integer order_billing_address_id:integer " +
		"admin_comments:string source:string search_phrase:string is_ppc:boolean ppc_keyword:string " +
		"store_id:integer session_id:integer handling_total:integer is_payment_order_only:boolean " +
		"selected_shipping_provider_service:string additional_fees:integer adcode_id:integer " +
		"updated_at:string created_at:string is_gift:boolean gift_message:string " +
		"public_comments:string instructions:string source_group:string " +
		"from_subscription_id:integer previous_order_status_id:integer " +
		"order_status_last_changed_at:string discounted_shipping_total:integer order_number:string " +
		"coupon_code:string order_type:string expires_at:string expires:boolean " +
		"from_quote_id:integer campaign_code:string reward_points_credited:boolean " +
		"sales_agent_user_id:integer channel:string device:string " +
		"manufacturer_invoice_number:string manufacturer_invoice_amount:number " +
		"manufacturer_invoice_paid:boolean due_date:string delivery_tax:number location_id:integer " +
		"entered_by:string entered_by_type:string",
	"order_items": "" +
		"id:integer order_id:integer product_id:integer item_number:string item_name:string " +
		"price:integer cost:integer quantity:integer is_discount_item:boolean weight:integer " +
		"is_taxable:boolean weight_unit:string is_non_shipping_item:boolean " +
		"variant_inventory_id:integer parent_order_item_id:integer " +
		"is_quantity_bound_to_parent:boolean updated_at:string created_at:string height:number " +
		"length:number width:number size_unit:string tax_code:string item_number_full:string " +
		"admin_comments:string do_not_discount:boolean line_item_note:string " +
		"order_shipping_address_id:integer gift_message:string delivery_date:string " +
		"discount_amount:number discount_percentage:number is_subscription_product:boolean " +
		"warehouse_id:integer description:string tax:number configuration:string status:string " +
		"shipping_classification_code:string variants:array personalizations:array",
	"addresses": "" +
		"id:integer customer_id:integer address_line_1:string address_line_2:string city:string " +
		"state:string postal_code:string country:string is_default_shipping_address:boolean " +
		"phone:string company:string alternate_phone:string fax:string comments:string " +
		"is_default_billing_address:boolean updated_at:string created_at:string first_name:string " +
		"last_name:string address_type:string",
}

// sparkExampleFields are fields the vendor's own requests send that the
// description's schemas leave out: the customer in acapi.yaml's POST
// /customers example carries "sub", and the vendor's product-group example
// (examples/python/creating_product_groups.py) sends "custom_url" and
// "child_products" to POST /products. They are accepted, stored and echoed
// once set, and left out of responses while unset.
var sparkExampleFields = map[string]string{
	"customers": "sub:string",
	"products":  "custom_url:string child_products:array",
}
