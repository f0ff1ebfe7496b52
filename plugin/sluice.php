<?php
/**
 * Plugin Name:       Sluice
 * Plugin URI:        https://github.com/sluice-chat/sluice
 * Description:       Streaming AI chat for WordPress with a spend meter: a Chat block that streams answers from your Sluice gateway, with spend caps and a model allowlist.
 * Version:           0.1.0
 * Requires at least: 6.6
 * Requires PHP:      8.1
 * Author:            Sluice
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       sluice
 * Domain Path:       /languages
 *
 * @package Sluice
 */

// This file must stay parseable by old PHP versions: it only checks the
// requirements and wires the plugin; everything else lives in includes/.

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'SLUICE_VERSION', '0.1.0' );
define( 'SLUICE_PLUGIN_FILE', __FILE__ );
define( 'SLUICE_MIN_PHP', '8.1' );
define( 'SLUICE_MIN_WP', '6.6' );

/**
 * What keeps the plugin from running here, as sentences for an admin notice.
 *
 * @return string[]
 */
function sluice_unmet_requirements() {
	$unmet = array();
	if ( version_compare( PHP_VERSION, SLUICE_MIN_PHP, '<' ) ) {
		/* translators: 1: required PHP version, 2: running PHP version. */
		$unmet[] = sprintf( __( 'Sluice needs PHP %1$s or newer; this site runs PHP %2$s.', 'sluice' ), SLUICE_MIN_PHP, PHP_VERSION );
	}
	if ( version_compare( get_bloginfo( 'version' ), SLUICE_MIN_WP, '<' ) ) {
		/* translators: 1: required WordPress version, 2: running WordPress version. */
		$unmet[] = sprintf( __( 'Sluice needs WordPress %1$s or newer; this site runs WordPress %2$s.', 'sluice' ), SLUICE_MIN_WP, get_bloginfo( 'version' ) );
	}
	if ( ! function_exists( 'curl_multi_init' ) ) {
		$unmet[] = __( 'Sluice needs the PHP curl extension to reach its gateway.', 'sluice' );
	}
	return $unmet;
}

/**
 * The requirements are checked without translating (translations load on init);
 * the notice translates when it is shown.
 */
function sluice_requirements_met() {
	return version_compare( PHP_VERSION, SLUICE_MIN_PHP, '>=' )
		&& version_compare( $GLOBALS['wp_version'], SLUICE_MIN_WP, '>=' )
		&& function_exists( 'curl_multi_init' );
}

function sluice_requirements_notice() {
	if ( ! current_user_can( 'activate_plugins' ) ) {
		return;
	}
	foreach ( sluice_unmet_requirements() as $sentence ) {
		printf( '<div class="notice notice-error"><p>%s</p></div>', esc_html( $sentence ) );
	}
}

if ( ! sluice_requirements_met() ) {
	add_action( 'admin_notices', 'sluice_requirements_notice' );
	return;
}

require_once __DIR__ . '/includes/autoload.php';
require_once __DIR__ . '/includes/functions.php';

( new Sluice\Plugin( __FILE__ ) )->register();
