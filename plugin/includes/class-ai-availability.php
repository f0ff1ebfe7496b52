<?php
/**
 * Whether the Sluice AI Client provider can be used: the gateway URL, site id
 * and secret are set. No network call (core asks on every Connectors save).
 *
 * @package Sluice
 */

namespace Sluice;

use WordPress\AiClient\Providers\Contracts\ProviderAvailabilityInterface;

defined( 'ABSPATH' ) || exit;

final class Ai_Availability implements ProviderAvailabilityInterface {

	public function __construct( private Settings $settings ) {
	}

	public function isConfigured(): bool {
		return $this->settings->is_configured();
	}
}
