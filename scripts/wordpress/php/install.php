<?php
/**
 * Installs and configures a local WordPress from the command line (wp-cli is not
 * available offline). Used by scripts/wordpress/provision.ts:
 *
 *   php install.php install|activate|content CONFIG.json
 *
 * install   creates the tables and the admin user (once) or upgrades the database,
 *           sets the password, pretty permalinks and editor preferences;
 * activate  activates the plugins listed in the config, failing loudly;
 * content   creates or updates the page, with every active plugin loaded.
 *
 * The last line of output is "SLUICE_RESULT {json}".
 */

$sluice_phase  = $argv[1] ?? '';
$sluice_config = json_decode( (string) file_get_contents( $argv[2] ?? '' ), true, 64, JSON_THROW_ON_ERROR );

$sluice_url                 = parse_url( $sluice_config['siteUrl'] );
$_SERVER['HTTP_HOST']       = $sluice_url['host'] . ( isset( $sluice_url['port'] ) ? ':' . $sluice_url['port'] : '' );
$_SERVER['SERVER_NAME']     = $sluice_url['host'];
$_SERVER['SERVER_PORT']     = (string) ( $sluice_url['port'] ?? 80 );
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['REQUEST_METHOD']  = 'GET';
$_SERVER['REQUEST_URI']     = '/';

function sluice_result( array $result ): void {
	echo "\nSLUICE_RESULT " . json_encode( $result, JSON_UNESCAPED_SLASHES ) . "\n";
}

function sluice_fail( string $message ): void {
	fwrite( STDERR, $message . "\n" );
	exit( 1 );
}

function sluice_admin_id( array $config ): int {
	$user = get_user_by( 'login', $config['adminUser'] );
	if ( ! $user ) {
		sluice_fail( "the admin user {$config['adminUser']} does not exist" );
	}
	return $user->ID;
}

function sluice_install( array $config ): void {
	global $wp_rewrite, $wp_version, $wpdb;
	require_once ABSPATH . 'wp-admin/includes/upgrade.php';

	$installed_now = false;
	if ( ! is_blog_installed() ) {
		// A permalink structure makes wp_install() skip its loopback request to the
		// site, which is not being served yet.
		$pretty = static fn() => '/%postname%/';
		add_filter( 'pre_option_permalink_structure', $pretty );
		wp_install( $config['title'], $config['adminUser'], $config['adminEmail'], true, '', $config['adminPassword'] );
		remove_filter( 'pre_option_permalink_structure', $pretty );
		$installed_now = true;
	} elseif ( (int) get_option( 'db_version' ) !== (int) $GLOBALS['wp_db_version'] ) {
		// The core copy is newer than the database (the core cache was refreshed).
		wp_upgrade();
	}

	$user = get_user_by( 'login', $config['adminUser'] );
	if ( ! $user ) {
		$user_id = wp_insert_user(
			array(
				'user_login' => $config['adminUser'],
				'user_pass'  => $config['adminPassword'],
				'user_email' => $config['adminEmail'],
				'role'       => 'administrator',
			)
		);
		if ( is_wp_error( $user_id ) ) {
			sluice_fail( 'creating the admin user failed: ' . $user_id->get_error_message() );
		}
		$user = get_user_by( 'id', $user_id );
	} elseif ( ! wp_check_password( $config['adminPassword'], $user->user_pass, $user->ID ) ) {
		wp_set_password( $config['adminPassword'], $user->ID );
	}
	if ( ! in_array( 'administrator', (array) $user->roles, true ) ) {
		$user->set_role( 'administrator' );
	}

	$wp_rewrite->set_permalink_structure( '/%postname%/' );
	$wp_rewrite->flush_rules( false );

	// The editor's welcome guide and "choose a pattern" dialog get in the way of tests.
	update_user_meta(
		$user->ID,
		$wpdb->get_blog_prefix() . 'persisted_preferences',
		array(
			'core/edit-post' => array(
				'welcomeGuide'         => false,
				'welcomeGuideTemplate' => false,
			),
			'core'           => array( 'enableChoosePatternModal' => false ),
			'_modified'      => gmdate( 'c' ),
		)
	);

	sluice_result(
		array(
			'installedNow' => $installed_now,
			'version'      => $wp_version,
		)
	);
}

function sluice_activate( array $config ): void {
	require_once ABSPATH . 'wp-admin/includes/plugin.php';
	wp_set_current_user( sluice_admin_id( $config ) );
	// Deactivates plugins whose files are gone (e.g. the plugin's main file was renamed).
	validate_active_plugins();
	$activated = array();
	foreach ( $config['plugins'] as $plugin ) {
		if ( ! file_exists( WP_PLUGIN_DIR . '/' . $plugin['file'] ) ) {
			sluice_fail( "plugin file wp-content/plugins/{$plugin['file']} does not exist" );
		}
		$result = activate_plugin( $plugin['file'], '', false, (bool) $plugin['silent'] );
		if ( is_wp_error( $result ) ) {
			$detail = $result->get_error_data();
			sluice_fail(
				"activating {$plugin['file']} failed: " . implode( '; ', $result->get_error_messages() )
				. ( is_string( $detail ) && '' !== $detail ? "\n--- plugin output ---\n{$detail}" : '' )
			);
		}
		if ( ! is_plugin_active( $plugin['file'] ) ) {
			sluice_fail( "{$plugin['file']} is not active after activation" );
		}
		$activated[] = $plugin['file'];
	}
	sluice_result( array( 'activated' => $activated ) );
}

function sluice_content( array $config ): void {
	wp_set_current_user( sluice_admin_id( $config ) );
	$page     = $config['page'];
	$existing = get_page_by_path( $page['slug'], OBJECT, 'page' );
	$post     = array(
		'post_type'    => 'page',
		'post_status'  => 'publish',
		'post_title'   => $page['title'],
		'post_name'    => $page['slug'],
		'post_content' => $page['content'],
		'post_author'  => get_current_user_id(),
	);
	if ( $existing ) {
		$post['ID'] = $existing->ID;
	}
	$page_id = wp_insert_post( wp_slash( $post ), true );
	if ( is_wp_error( $page_id ) ) {
		sluice_fail( 'saving the page failed: ' . $page_id->get_error_message() );
	}
	// Rules of the plugins now loaded (post types, endpoints).
	flush_rewrite_rules( false );
	sluice_result(
		array(
			'pageId'  => $page_id,
			'pageUrl' => get_permalink( $page_id ),
		)
	);
}

switch ( $sluice_phase ) {
	case 'install':
		define( 'WP_INSTALLING', true );
		// No mail offline: the "new site" e-mail is skipped.
		function wp_new_blog_notification() {}
		require $sluice_config['siteDir'] . '/wp-load.php';
		sluice_install( $sluice_config );
		break;
	case 'activate':
		require $sluice_config['siteDir'] . '/wp-load.php';
		sluice_activate( $sluice_config );
		break;
	case 'content':
		require $sluice_config['siteDir'] . '/wp-load.php';
		sluice_content( $sluice_config );
		break;
	default:
		sluice_fail( 'usage: php install.php install|activate|content CONFIG.json' );
}
