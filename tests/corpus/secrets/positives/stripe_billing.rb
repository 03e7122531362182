Stripe.api_key = 'sk_live_YWxaH6kNcLkcmlrY6vy1PnOG'
